"""Each registered location keeps the ref of its Location entity, as Backstage's catalog does since 2026.

The ref is computed when the location is registered (``location:default/generated-<sha1 of type:target>``) and
kept when the location is moved to another target (``PUT /locations/{id}``), so the entity keeps its name.

Revision ID: 0014
Revises: 0013
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("locations", sa.Column("entity_ref", sa.Text(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, type, target FROM locations")).all()
    for location_id, location_type, target in rows:
        digest = hashlib.sha1(f"{location_type}:{target}".encode(), usedforsecurity=False).hexdigest()
        bind.execute(
            sa.text("UPDATE locations SET entity_ref = :ref WHERE id = :id"),
            {"ref": f"location:default/generated-{digest}", "id": location_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("entity_ref")
