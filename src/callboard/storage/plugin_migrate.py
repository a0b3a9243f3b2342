"""A plugin's own migrations: its revision files, applied in a history of their own.

Each plugin's history lives in ``alembic_version_<plugin id>``, so plugins and Callboard never share a
revision graph: installing, upgrading or removing one plugin touches nothing of the others. Removing a
plugin leaves its tables and its version row, so installing it again carries on where it was.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from callboard.storage.db import Database

_ENV = Path(__file__).parent / "plugin_migrations"


class PluginMigrationError(Exception):
    """A plugin's migrations cannot run; the message names the plugin and the folder."""


def version_table(plugin: str) -> str:
    return f"alembic_version_{plugin.replace('-', '_')}"


def _config(plugin: str, migrations: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_ENV))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(migrations))
    config.attributes["version_table"] = version_table(plugin)
    return config


def upgrade_plugin(database: Database, plugin: str, migrations: Path) -> str | None:
    """Apply the plugin's pending revisions in one transaction; the revision it is at afterwards."""
    config = _config(plugin, migrations)
    with database.transaction() as connection:
        if not database.is_sqlite:
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7008)")
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "heads")
        except CommandError as error:
            raise PluginMigrationError(f"Plugin {plugin!r}: migrations in {migrations} cannot run: {error}") from None
        context = MigrationContext.configure(connection, opts={"version_table": version_table(plugin)})
        return context.get_current_revision()


def plugin_head(plugin: str, migrations: Path) -> str | None:
    return ScriptDirectory.from_config(_config(plugin, migrations)).get_current_head()
