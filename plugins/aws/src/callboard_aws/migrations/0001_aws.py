"""Accounts as last scanned, the organisation's units, scans, and what runs on each cluster.

Revision ID: aws_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "aws_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aws_accounts",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(300), nullable=False),
        sa.Column("ou_path", sa.String(1000), nullable=False),
        sa.Column("ou_id", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(400)),
        sa.Column("owner_rule", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("entities", sa.Text, nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("unowned", sa.Integer, nullable=False),
        sa.Column("unmanaged", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("scanned_at", sa.Float),
        sa.Column("changed_at", sa.Float),
        sa.Column("seconds", sa.Float),
        sa.Column("buckets", sa.Text, nullable=False),
    )
    op.create_table(
        "aws_units",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("parent_id", sa.String(100), nullable=False),
    )
    op.create_table(
        "aws_scans",
        sa.Column("id", sa.Integer, autoincrement=True, primary_key=True),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("accounts", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("entities", sa.Integer, nullable=False),
        sa.Column("written", sa.Integer, nullable=False),
        sa.Column("removed", sa.Integer, nullable=False),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("retries", sa.Integer, nullable=False),
        sa.Column("calls_by_operation", sa.Text, nullable=False),
        sa.Column("errors", sa.Text, nullable=False),
    )
    op.create_table(
        "aws_cluster_workloads",
        sa.Column("cluster", sa.String(200), primary_key=True),
        sa.Column("entity_ref", sa.String(400), primary_key=True),
    )


def downgrade() -> None:
    for table in ("aws_cluster_workloads", "aws_scans", "aws_units", "aws_accounts"):
        op.drop_table(table)
