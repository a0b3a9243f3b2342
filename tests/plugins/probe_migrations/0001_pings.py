"""Probe pings.

Revision ID: probe_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "probe_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "probe_pings",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("note", sa.String(100)),
        sa.PrimaryKeyConstraint("id", name="pk_probe_pings"),
    )
