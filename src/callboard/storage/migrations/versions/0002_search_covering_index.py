"""Filter index: (entity_id, key, value) instead of (entity_id), so filters probe per entity without the table.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_search_entity_id", table_name="search")
    op.create_index("ix_search_entity_key_value", "search", ["entity_id", "key", "value"])


def downgrade() -> None:
    op.drop_index("ix_search_entity_key_value", table_name="search")
    op.create_index("ix_search_entity_id", "search", ["entity_id"])
