"""The catalog: locations, refresh state, references, relations, final entities and the filter index.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("static", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("type", "target", name="uq_locations_type_target"),
    )
    op.create_table(
        "refresh_state",
        sa.Column("entity_id", sa.String(36), primary_key=True),
        sa.Column("entity_ref", sa.Text, nullable=False, unique=True),
        sa.Column("unprocessed_entity", sa.Text, nullable=False),
        sa.Column("unprocessed_hash", sa.String(64), nullable=False),
        sa.Column("processed_entity", sa.Text),
        sa.Column("result_hash", sa.String(64)),
        sa.Column("errors", sa.Text),
        sa.Column("cache", sa.Text),
        sa.Column("location_key", sa.Text),
        sa.Column("next_update_at", sa.Float, nullable=False),
        sa.Column("last_discovery_at", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
    )
    op.create_index("ix_refresh_state_next_update_at", "refresh_state", ["next_update_at"])
    op.create_table(
        "refresh_state_references",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_key", sa.Text),
        sa.Column("source_entity_ref", sa.Text),
        sa.Column("target_entity_ref", sa.Text, nullable=False),
    )
    op.create_index("ix_references_source_key", "refresh_state_references", ["source_key"])
    op.create_index("ix_references_source_entity_ref", "refresh_state_references", ["source_entity_ref"])
    op.create_index("ix_references_target_entity_ref", "refresh_state_references", ["target_entity_ref"])
    op.create_table(
        "relations",
        sa.Column("originating_entity_id", sa.String(36), nullable=False),
        sa.Column("source_entity_ref", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("target_entity_ref", sa.Text, nullable=False),
    )
    op.create_index("ix_relations_originating_entity_id", "relations", ["originating_entity_id"])
    op.create_index("ix_relations_source_entity_ref", "relations", ["source_entity_ref"])
    op.create_index("ix_relations_target_entity_ref", "relations", ["target_entity_ref"])
    op.create_table(
        "final_entities",
        sa.Column("entity_id", sa.String(36), primary_key=True),
        sa.Column("entity_ref", sa.Text, nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("final_entity", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("last_updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "search",
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("original_value", sa.Text),
        sa.Column("value", sa.Text),
    )
    op.create_index("ix_search_key_value", "search", ["key", "value"])
    op.create_index("ix_search_entity_id", "search", ["entity_id"])


def downgrade() -> None:
    for table in ("search", "final_entities", "relations", "refresh_state_references", "refresh_state", "locations"):
        op.drop_table(table)
