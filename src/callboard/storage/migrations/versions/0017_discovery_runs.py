"""What each scan of a discovery source did (read, unchanged, deferred, failed, gone), for the Discovery page.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discovery_runs",
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("source", "started_at", name="pk_discovery_runs"),
    )


def downgrade() -> None:
    op.drop_table("discovery_runs")
