"""Bring a database's schema up to date with Alembic (``callboard db upgrade``, and at every start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from callboard.storage.db import Database

_SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def upgrade(database: Database) -> str | None:
    """Apply every pending migration in one transaction; return the revision the database is at.

    On PostgreSQL an advisory lock keeps replicas that start together from migrating twice.
    """
    config = _config()
    with database.transaction() as connection:
        if not database.is_sqlite:
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7007)")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        return MigrationContext.configure(connection).get_current_revision()


def current_revision(database: Database) -> str | None:
    """The revision the database is at (None for an empty one), without changing it."""
    with database.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def has_postgres_index(database: Database, name: str) -> bool:
    """Whether an index a migration makes only where the server allows it (``pg_trgm``'s) exists."""
    with database.connect() as connection:
        found = connection.exec_driver_sql("SELECT 1 FROM pg_indexes WHERE indexname = %(name)s", {"name": name})
        return found.first() is not None
