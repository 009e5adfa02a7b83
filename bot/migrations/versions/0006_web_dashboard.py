"""Web dashboard: sessions, used sign-in links, and moderation of suggestions (reject reason, reviewer).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suggestions") as batch:
        batch.add_column(sa.Column("rejected_reason", sa.Text, nullable=True))
        batch.add_column(sa.Column("reviewed_at", UTCDateTime, nullable=True))
        batch.add_column(sa.Column("reviewed_by", sa.String(200), nullable=True))
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("admin_checked_at", UTCDateTime, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_web_sessions_user", "web_sessions", ["user_key"])
    op.create_index("ix_web_sessions_expires", "web_sessions", ["expires_at"])
    op.create_table(
        "web_link_uses",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_web_link_uses_used", "web_link_uses", ["used_at"])


def downgrade() -> None:
    op.drop_index("ix_web_link_uses_used", table_name="web_link_uses")
    op.drop_table("web_link_uses")
    op.drop_index("ix_web_sessions_expires", table_name="web_sessions")
    op.drop_index("ix_web_sessions_user", table_name="web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("suggestions") as batch:
        for column in ("reviewed_by", "reviewed_at", "rejected_reason"):
            batch.drop_column(column)
