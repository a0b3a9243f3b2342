"""Deferred stitching: entities whose relations changed because of *other* entities wait here.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stitch_queue",
        sa.Column("entity_ref", sa.Text, primary_key=True),
        sa.Column("queued_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stitch_queue")
