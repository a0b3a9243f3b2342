"""``callboard db``: upgrade the database, copy it to another (SQLite to PostgreSQL), back an SQLite one up."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from callboard.cli_plugins import ConfigOption

if TYPE_CHECKING:
    from callboard.app import Runtime


def db_cli(runtime_for: Callable[[list[Path] | None], Runtime], err: Console) -> typer.Typer:
    db = typer.Typer(
        help="Database maintenance: upgrade, copy to PostgreSQL, back up and restore.", no_args_is_help=True
    )

    @db.command("upgrade")
    def upgrade(config: ConfigOption = None) -> None:
        """Apply pending database migrations (also done at every start-up)."""
        from callboard.storage.migrate import head_revision
        from callboard.storage.plugin_migrate import plugin_head

        runtime = runtime_for(config)
        sys.stdout.write(f"database {runtime.database.describe()} is at revision {head_revision()}\n")
        for plugin, storage in runtime.callboard.declarations.storage.items():
            sys.stdout.write(f"  plugin {plugin}: revision {plugin_head(plugin, storage.migrations)}\n")
        runtime.close()

    @db.command("copy")
    def copy(
        to: Annotated[str, typer.Option("--to", help="The new database: postgresql://user:password@host/name.")],
        config: ConfigOption = None,
    ) -> None:
        """Copy this portal's database into a new, empty one (SQLite to PostgreSQL, say), then compare every table
        and every entity. Stop the portal first; point backend.database at the new one afterwards."""
        from callboard.app_plugins import migrate_plugins
        from callboard.storage.copy import CopyRefused, copy_database, tables_to_copy
        from callboard.storage.db import Database, DatabaseUnavailable
        from callboard.storage.migrate import upgrade as migrate

        runtime = runtime_for(config)
        try:
            target = Database(to)
        except Exception as error:  # a URL SQLAlchemy cannot read, or a driver it lacks
            err.print(f"[red]error:[/red] --to {escape(to)}: {escape(str(error))}")
            raise typer.Exit(2) from None
        try:
            try:
                migrate(target)
            except DatabaseUnavailable as error:
                reason = str(error.orig or error).splitlines()[0]
                err.print(f"[red]error:[/red] cannot open --to {escape(target.describe())}: {escape(reason)}")
                raise typer.Exit(2) from None
            migrate_plugins(target, runtime.callboard.declarations)
            storage = runtime.callboard.declarations.storage.values()
            tables = tables_to_copy(table for spec in storage for table in spec.metadata.sorted_tables)
            with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err) as bar:
                task = bar.add_task("copying", total=None)
                report = copy_database(
                    runtime.database,
                    target,
                    tables,
                    lambda table, rows: bar.update(task, description=f"copying {table}", advance=rows),
                )
        except CopyRefused as refused:
            err.print(f"[red]error:[/red] {escape(str(refused))}")
            raise typer.Exit(2) from None
        finally:
            target.dispose()
            runtime.close()
        total = sum(report.rows.values())
        err.print(
            f"copied {total} rows in {len(report.rows)} tables, {report.entities} entities, to {target.describe()}"
        )
        for problem in [*report.mismatched_tables, *(f"entity {uid} differs" for uid in report.mismatched_entities)]:
            err.print(f"[red]mismatch:[/red] {escape(problem)}")
        if not report.ok:
            raise typer.Exit(1)
        err.print("every table and every entity is the same on both sides")

    @db.command("backup")
    def backup(
        output: Annotated[Path, typer.Argument(help="The backup file to write (SQLite).")],
        config: ConfigOption = None,
    ) -> None:
        """Back up an SQLite database while the portal runs (SQLite's online backup). For PostgreSQL, use
        pg_dump or your provider's snapshots."""
        runtime = runtime_for(config)
        try:
            if not runtime.database.is_sqlite or not runtime.database.url.database:
                err.print(
                    "[red]error:[/red] the database is PostgreSQL: back it up with pg_dump (pg_dump -Fc -f "
                    "callboard.dump <url>) or your provider's snapshots"
                )
                raise typer.Exit(2)
            if output.exists():
                err.print(f"[red]error:[/red] {output} exists; give a new file name")
                raise typer.Exit(2)
            with sqlite3.connect(runtime.database.url.database) as live, sqlite3.connect(output) as copy:
                live.backup(copy)
        finally:
            runtime.close()
        err.print(f"backed up {runtime.database.url.database} to {output}")

    @db.command("restore")
    def restore(
        backup_file: Annotated[Path, typer.Argument(help="A file written by 'callboard db backup'.", exists=True)],
        config: ConfigOption = None,
    ) -> None:
        """Put an SQLite backup in place of the database (stop the portal first); the current database is kept
        beside it as <name>.before-restore."""
        from callboard.settings import load_settings
        from callboard.storage.db import database_url

        settings = load_settings(config)
        url = database_url(settings.backend.database, (Path.cwd() / settings.data_dir).resolve())
        if url.get_backend_name() != "sqlite" or not url.database:
            err.print("[red]error:[/red] the database is PostgreSQL: restore it with pg_restore")
            raise typer.Exit(2)
        try:
            with sqlite3.connect(backup_file) as check:
                verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
                tables = {row[0] for row in check.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            verdict, tables = str(error), set()
        if verdict != "ok" or "final_entities" not in tables:
            err.print(f"[red]error:[/red] {backup_file} is not a Callboard database backup ({verdict})")
            raise typer.Exit(2)
        current = Path(url.database)
        if current.exists():
            current.replace(current.with_name(current.name + ".before-restore"))
        for suffix in ("-wal", "-shm"):  # the old database's journal must not be applied to the restored one
            current.with_name(current.name + suffix).unlink(missing_ok=True)
        with sqlite3.connect(backup_file) as source, sqlite3.connect(current) as target:
            source.backup(target)
        err.print(f"restored {backup_file} to {current}; the previous database is {current.name}.before-restore")

    return db
