"""Practice: thread participation, self-ratings, spaced-repetition cards, leaderboard opt-outs,
suggestions, linked accounts; per-subscription holidays, mentions and weekly summary options.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("holiday_country", sa.String(10), nullable=True))
        batch.add_column(sa.Column("skip_dates", sa.Text, nullable=False, server_default=""))
        batch.add_column(
            sa.Column("mention_participants", sa.Boolean, nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("weekly_summary", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("thread_key", sa.String(200), nullable=False),
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("first_at", UTCDateTime, nullable=False),
        sa.Column("last_at", UTCDateTime, nullable=False),
        sa.Column("count", sa.Integer, nullable=False, server_default="1"),
        sa.UniqueConstraint("thread_key", "user_key", name="uq_reply_thread_user"),
    )
    op.create_index("ix_replies_user", "replies", ["user_key"])
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("context", sa.String(100), nullable=False),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("posts.id", ondelete="SET NULL"), nullable=True),
        sa.Column("rating", sa.String(10), nullable=False),
        sa.Column("rated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("user_key", "question_id", "context", name="uq_rating_user_question_context"),
    )
    op.create_index("ix_ratings_post", "ratings", ["post_id"])
    op.create_table(
        "review_cards",
        sa.Column("user_key", sa.String(200), primary_key=True),
        sa.Column("question_id", sa.String(100), primary_key=True),
        sa.Column("card", sa.Text, nullable=False),
        sa.Column("due", UTCDateTime, nullable=False),
        sa.Column("card_before", sa.Text, nullable=True),
        sa.Column("last_context", sa.String(100), nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_review_cards_user_due", "review_cards", ["user_key", "due"])
    op.create_table(
        "leaderboard_optouts",
        sa.Column("user_key", sa.String(200), primary_key=True),
        sa.Column("opted_out_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "person_links",
        sa.Column("user_key", sa.String(200), primary_key=True),
        sa.Column("person_key", sa.String(200), nullable=False),
        sa.Column("linked_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "link_codes",
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("destination", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(40), nullable=True),
        sa.Column("difficulty", sa.String(10), nullable=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="new"),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("accepted_path", sa.Text, nullable=True),
    )


def downgrade() -> None:
    for table in (
        "suggestions",
        "link_codes",
        "person_links",
        "leaderboard_optouts",
        "review_cards",
        "ratings",
        "replies",
    ):
        op.drop_table(table)
    with op.batch_alter_table("subscriptions") as batch:
        for column in ("weekly_summary", "mention_participants", "skip_dates", "holiday_country"):
            batch.drop_column(column)
