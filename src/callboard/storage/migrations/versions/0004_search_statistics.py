"""PostgreSQL: statistics on (key, value) together, so the planner knows how many entities a filter matches.

Without them PostgreSQL multiplies the selectivities of key and value as if independent, underestimates
matches by orders of magnitude, and sorts every match instead of walking the uid index (60 ms instead of 2 ms
for a filtered page at 10,000 entities).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE STATISTICS IF NOT EXISTS search_key_value_stats (dependencies, mcv) ON key, value FROM search"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS search_key_value_stats")
