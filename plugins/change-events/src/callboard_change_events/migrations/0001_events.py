"""Change events, the entities each concerns, and the annotations of those not matched yet.

Revision ID: change_events_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "change_events_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("external_id", sa.String(400), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("market", sa.String(100), nullable=False),
        sa.Column("cluster", sa.String(200), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("unmatched", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_change_events"),
        sa.UniqueConstraint("source", "external_id", name="uq_change_events_source_external_id"),
    )
    op.create_index("ix_change_events_time", "change_events", ["time", "id"])
    op.create_index("ix_change_events_type_time", "change_events", ["type", "time"])
    op.create_table(
        "change_event_entities",
        sa.Column("entity_ref", sa.String(400), nullable=False),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("entity_ref", "time", "event_id", name="pk_change_event_entities"),
    )
    op.create_table(
        "change_event_pending",
        sa.Column("match_key", sa.String(600), nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("match_key", "event_id", name="pk_change_event_pending"),
    )


def downgrade() -> None:
    op.drop_table("change_event_pending")
    op.drop_table("change_event_entities")
    op.drop_table("change_events")
