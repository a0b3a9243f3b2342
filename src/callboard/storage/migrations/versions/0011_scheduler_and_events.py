"""Scheduled tasks with leases and their runs; the events table replicas share.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_tasks",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("next_run_at", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
        sa.Column("triggered_by", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_tasks"),
    )
    op.create_table(
        "scheduled_task_runs",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(200), nullable=False),
        sa.Column("replica", sa.String(64), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("triggered_by", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_task_runs"),
    )
    op.create_index("ix_scheduled_task_runs_task_id", "scheduled_task_runs", ["task_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("origin", sa.String(64), nullable=False),
        sa.Column("published_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_published_at", "events", ["published_at"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("scheduled_task_runs")
    op.drop_table("scheduled_tasks")
