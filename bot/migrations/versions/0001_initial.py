"""Initial schema: subscriptions, daily posts and reveals claimed under unique keys, rotation history.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("post_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("days", sa.String(20), nullable=False),
        sa.Column("reveal_after_seconds", sa.Integer, nullable=True),
        sa.Column("reveal_at", sa.String(5), nullable=True),
        sa.Column("topics", sa.Text, nullable=False, server_default=""),
        sa.Column("difficulties", sa.Text, nullable=False, server_default=""),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("paused_reason", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("platform", "workspace_id", "channel_id", name="uq_subscription_channel"),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            sa.Integer,
            sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("scheduled_at", UTCDateTime, nullable=False),
        sa.Column("reveal_due_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=True),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("thread_ref", sa.Text, nullable=True),
        sa.Column("posted_at", UTCDateTime, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.UniqueConstraint("subscription_id", "local_date", name="uq_post_subscription_date"),
    )
    op.create_index("ix_posts_status_reveal_due", "posts", ["status", "reveal_due_at"])
    op.create_table(
        "reveals",
        sa.Column(
            "post_id",
            sa.Integer,
            sa.ForeignKey("posts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("revealed_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "asked",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("asked_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_asked_scope_cycle", "asked", ["scope", "cycle"])


def downgrade() -> None:
    op.drop_table("asked")
    op.drop_table("reveals")
    op.drop_index("ix_posts_status_reveal_due", table_name="posts")
    op.drop_table("posts")
    op.drop_table("subscriptions")
