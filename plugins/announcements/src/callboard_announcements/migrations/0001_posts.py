"""Announcement posts.

Revision ID: announcements_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "announcements_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announcements_posts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("team", sa.String(400), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("author", sa.String(400), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("source", sa.String(64), nullable=False, server_default="portal"),
        sa.PrimaryKeyConstraint("id", name="pk_announcements_posts"),
    )
    op.create_index("ix_announcements_posts_team", "announcements_posts", ["team"])


def downgrade() -> None:
    op.drop_table("announcements_posts")
