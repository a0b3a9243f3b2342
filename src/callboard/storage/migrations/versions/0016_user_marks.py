"""Each person's starred and recently visited entities, for the home page.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_marks",
        sa.Column("user_ref", sa.String(400), nullable=False),
        sa.Column("entity_ref", sa.String(400), nullable=False),
        sa.Column("starred_at", sa.Float),
        sa.Column("visited_at", sa.Float),
        sa.PrimaryKeyConstraint("user_ref", "entity_ref", name="pk_user_marks"),
    )


def downgrade() -> None:
    op.drop_table("user_marks")
