"""The entity's kind on every filter-index row, indexed with the key and original value.

Almost every catalog view filters by kind, and facets (counts per value) over one kind are then a single
range scan of (kind, key, original_value) instead of a join over every entity of that kind.

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
    with op.batch_alter_table("search") as batch:
        batch.add_column(sa.Column("kind", sa.Text))
    op.execute("UPDATE search SET kind = (SELECT f.kind FROM final_entities f WHERE f.entity_id = search.entity_id)")
    op.create_index("ix_search_kind_key_original", "search", ["kind", "key", "original_value"])


def downgrade() -> None:
    op.drop_index("ix_search_kind_key_original", table_name="search")
    with op.batch_alter_table("search") as batch:
        batch.drop_column("kind")
