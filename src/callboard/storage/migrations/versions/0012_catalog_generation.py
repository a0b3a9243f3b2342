"""The catalog's generation: one number, raised in every transaction that writes or deletes final entities.

Readers compare it (one primary-key read) to know whether an answer they computed earlier (a count, facet
counts, the pages' browse index) still holds, on every replica, without counting a large table.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "catalog_generation",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_generation"),
    )
    op.bulk_insert(table, [{"id": 1, "value": 0}])


def downgrade() -> None:
    op.drop_table("catalog_generation")
