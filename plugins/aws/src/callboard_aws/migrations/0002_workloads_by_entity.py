"""Which clusters an entity runs on is asked on every component page: an index by entity.

Revision ID: aws_0002
Revises: aws_0001
"""

from alembic import op

revision = "aws_0002"
down_revision = "aws_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_aws_cluster_workloads_entity", "aws_cluster_workloads", ["entity_ref"])


def downgrade() -> None:
    op.drop_index("ix_aws_cluster_workloads_entity", "aws_cluster_workloads")
