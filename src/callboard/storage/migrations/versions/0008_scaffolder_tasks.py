"""Scaffolder tasks and their events.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scaffolder_tasks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("template_ref", sa.Text, nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("secrets", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_heartbeat_at", sa.Float),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("output", sa.Text),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_scaffolder_tasks_status_created", "scaffolder_tasks", ["status", "created_at"])
    op.create_index("ix_scaffolder_tasks_created_by", "scaffolder_tasks", ["created_by", "created_at"])
    op.create_table(
        "scaffolder_task_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_scaffolder_task_events_task_id", "scaffolder_task_events", ["task_id", "id"])


def downgrade() -> None:
    op.drop_table("scaffolder_task_events")
    op.drop_table("scaffolder_tasks")
