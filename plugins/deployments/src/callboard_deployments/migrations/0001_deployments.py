"""Workloads by place, the versions each entity had, and each source's progress.

Revision ID: deployments_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "deployments_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment_workloads",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("namespace", sa.String(253), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("match_key", sa.String(400), nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("entity_ref", sa.String(400)),
        sa.Column("environment", sa.String(60), nullable=False),
        sa.Column("market", sa.String(60), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("image", sa.Text, nullable=False),
        sa.Column("replicas", sa.Integer),
        sa.Column("ready", sa.Integer),
        sa.Column("health", sa.String(40), nullable=False),
        sa.Column("sync", sa.String(40), nullable=False),
        sa.Column("deployed_at", sa.Float),
        sa.Column("deployed_by", sa.String(200), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("observed_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "place", "namespace", "kind", "name", name="uq_deployment_workloads_identity"),
    )
    op.create_index("ix_deployment_workloads_entity", "deployment_workloads", ["entity_ref"])
    op.create_index("ix_deployment_workloads_match", "deployment_workloads", ["match_key"])
    op.create_table(
        "deployment_history",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("entity_ref", sa.String(400), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("environment", sa.String(60), nullable=False),
        sa.Column("market", sa.String(60), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("since", sa.Float, nullable=False),
        sa.Column("deployed_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deployment_history_cell", "deployment_history", ["entity_ref", "place", "since"])
    op.create_table(
        "deployment_sources",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("resource_version", sa.String(100), nullable=False),
        sa.Column("contacted_at", sa.Float, nullable=False),
        sa.Column("listed_at", sa.Float),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("deployment_sources")
    op.drop_table("deployment_history")
    op.drop_table("deployment_workloads")
