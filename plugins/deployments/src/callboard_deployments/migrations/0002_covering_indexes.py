"""Indexes that answer the fleet and the clusters list without reading the table.

The fleet page adds up an entity's workloads by environment and version (1,000 entities are 30,000 rows): an
index in that order, holding every column the sum reads, lets SQLite and PostgreSQL group while they scan it.
The clusters list counts workloads per place.

Revision ID: deployments_0002
Revises: deployments_0001
"""

from alembic import op

revision = "deployments_0002"
down_revision = "deployments_0001"
branch_labels = None
depends_on = None

FLEET = ["entity_ref", "environment", "version", "source", "place", "observed_at", "health", "deployed_at", "market"]


def upgrade() -> None:
    op.drop_index("ix_deployment_workloads_entity", "deployment_workloads")
    op.create_index("ix_deployment_workloads_fleet", "deployment_workloads", FLEET)
    op.create_index("ix_deployment_workloads_place", "deployment_workloads", ["place", "source", "entity_ref"])


def downgrade() -> None:
    op.drop_index("ix_deployment_workloads_place", "deployment_workloads")
    op.drop_index("ix_deployment_workloads_fleet", "deployment_workloads")
    op.create_index("ix_deployment_workloads_entity", "deployment_workloads", ["entity_ref"])
