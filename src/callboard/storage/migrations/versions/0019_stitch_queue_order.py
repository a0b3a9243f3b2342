"""The stitch queue in the order it is walked: (queued_at, entity_ref).

Every deferred stitch takes the next entities in queue order. Without an index each step sorted the whole
queue, which holds up to every entity during a large ingestion.

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_stitch_queue_queued_at", "stitch_queue", ["queued_at", "entity_ref"])


def downgrade() -> None:
    op.drop_index("ix_stitch_queue_queued_at", table_name="stitch_queue")
