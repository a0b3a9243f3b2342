"""PostgreSQL plans lookups by entity in the filter index with an index, at any size (as Backstage had to).

``ANALYZE`` samples the ``search`` table and, with about 30 rows per entity, estimates far too few distinct
``entity_id`` values: it then expects ``entity_id IN (500 ids)`` to match millions of rows and scans the
whole table. At 280,000 entities every stitch of 500 entities deleted their old rows through a sequential
scan of 4.6 million rows (1.2 s each), and ingestion slowed from 1,000 to 100 entities a second. Declaring
the ratio (one distinct entity per 33 rows) keeps the estimate near the truth, and analysing the busy tables
after 1 % of change instead of 20 % keeps the other statistics in step while a large catalog is ingested.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: Tables that grow with the catalog and are written on every ingestion.
BUSY_TABLES = ("search", "final_entities", "relations", "refresh_state", "refresh_state_references", "stitch_queue")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search ALTER COLUMN entity_id SET (n_distinct = -0.03)")
    for table in BUSY_TABLES:
        op.execute(
            f"ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search ALTER COLUMN entity_id RESET (n_distinct)")
    for table in BUSY_TABLES:
        op.execute(f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)")
