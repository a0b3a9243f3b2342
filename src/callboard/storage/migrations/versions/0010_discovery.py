"""What discovery last saw of each repository (to skip unchanged ones and explain vanished ones).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discovery_repositories",
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("revision", sa.Text, nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("inferred", sa.Text, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
        sa.Column("missing_since", sa.Float),
        sa.PrimaryKeyConstraint("source", "name", name="pk_discovery_repositories"),
    )


def downgrade() -> None:
    op.drop_table("discovery_repositories")
