"""Alembic environment for a plugin's own migrations: its revisions, its version table, Callboard's connection."""

from __future__ import annotations

from alembic import context

attributes = context.config.attributes
context.configure(
    connection=attributes["connection"],
    version_table=attributes["version_table"],
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
