"""A trigram index for the full-text filter on PostgreSQL, where the server offers ``pg_trgm``.

``fullTextFilterTerm`` is a substring match (``value LIKE '%term%'``), which no B-tree can find: at a million
entities it read every name and title (about a second). A GIN index of trigrams finds the rows that contain the
term's trigrams and checks only those. ``pg_trgm`` ships with PostgreSQL and is a trusted extension (a database
owner may create it, and managed services offer it); where it cannot be created, the filter keeps working as
before, without the index, and ``callboard doctor`` says so.

Revision ID: 0018
Revises: 0017
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

log = logging.getLogger("callboard.storage.migrations")

#: The fields Backstage's catalog table searches, and the portal's text filter (as in revision 0013).
TEXT_KEYS = ("metadata.name", "metadata.title", "spec.profile.displayname", "metadata.description")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as error:
        savepoint.rollback()
        log.warning("pg_trgm is not available (%s): the full-text filter will scan instead of using an index", error)
        return
    savepoint.commit()
    keys = ", ".join(f"'{key}'" for key in TEXT_KEYS)
    op.execute(f"CREATE INDEX ix_search_text_trigrams ON search USING gin (value gin_trgm_ops) WHERE key IN ({keys})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_text_trigrams")
