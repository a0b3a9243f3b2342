"""A covering index for the full-text filter's fields on PostgreSQL.

``fullTextFilterTerm`` matches ``value LIKE '%term%'`` over a few text keys. Through ``(key, value)`` PostgreSQL
visits a heap page per row to read ``entity_id`` (50 ms at 10,000 entities); with ``entity_id`` in a partial
index of just those keys it reads the index alone (7 ms). SQLite reads its rows in key order already.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: The fields Backstage's catalog table searches, and the portal's text filter.
TEXT_KEYS = ("metadata.name", "metadata.title", "spec.profile.displayname", "metadata.description")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    keys = ", ".join(f"'{key}'" for key in TEXT_KEYS)
    op.execute(f"CREATE INDEX ix_search_text_covering ON search (key, value, entity_id) WHERE key IN ({keys})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_text_covering")
