"""Mock interviews: a session's questions, position and ratings, so it survives a restart.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mock_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("track", sa.String(40), nullable=True),
        sa.Column("question_ids", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("suggested", sa.Text, nullable=False),
        sa.Column("ratings", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended", sa.String(10), nullable=True),
    )
    op.create_index("ix_mock_sessions_user", "mock_sessions", ["user_key", "ended"])


def downgrade() -> None:
    op.drop_index("ix_mock_sessions_user", table_name="mock_sessions")
    op.drop_table("mock_sessions")
