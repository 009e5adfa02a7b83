"""Shared posts: a question a user posts to a channel on demand, revealed like a daily one.

A shared post has no subscription; its `share_key` (unique) makes a double click post it once.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.alter_column("subscription_id", existing_type=sa.Integer, nullable=True)
        batch.add_column(sa.Column("share_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("shared_by", sa.String(100), nullable=True))
        batch.create_unique_constraint("uq_post_share_key", ["share_key"])


def downgrade() -> None:
    op.execute("DELETE FROM posts WHERE subscription_id IS NULL")
    with op.batch_alter_table("posts") as batch:
        batch.drop_constraint("uq_post_share_key", type_="unique")
        batch.drop_column("shared_by")
        batch.drop_column("share_key")
        batch.alter_column("subscription_id", existing_type=sa.Integer, nullable=False)
