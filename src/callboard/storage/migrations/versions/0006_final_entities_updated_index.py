"""An index on final_entities.last_updated_at: the catalog's version (its latest change) is read in O(log n).

The portal's browse index checks that version about once a second to know when to rebuild.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_final_entities_last_updated_at", "final_entities", ["last_updated_at"])


def downgrade() -> None:
    op.drop_index("ix_final_entities_last_updated_at", table_name="final_entities")
