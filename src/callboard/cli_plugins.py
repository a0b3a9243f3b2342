"""``callboard plugins`` (list installed plugins, generate a new one) and ``callboard tasks`` (scheduled tasks:
their last runs, and running one now)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from callboard.core.errors import NotFoundError

if TYPE_CHECKING:
    from callboard.app import Runtime

ConfigOption = Annotated[
    list[Path] | None,
    typer.Option("--config", "-c", help="app-config file; repeat to layer, later files win."),
]
RuntimeFor = Callable[[list[Path] | None], "Runtime"]


def plugins_cli(runtime_for: RuntimeFor, err: Console) -> typer.Typer:
    app = typer.Typer(help="Installed plugins, and new ones.", no_args_is_help=True)

    @app.command("list")
    def plugins_list(config: ConfigOption = None) -> None:
        """Each plugin: package and version, plugin API, routes, tables, tasks, permissions and config."""
        runtime = runtime_for(config)
        try:
            from callboard.app_plugins import inventory

            reports = inventory(runtime.callboard.plugins, runtime.backend)
        finally:
            runtime.close()
        for report in reports:
            sys.stdout.write(f"{report.name}\t{report.package} {report.version}\tplugin API {report.api}\n")
            for label, values in (
                ("routes", report.routes),
                ("tables", report.tables),
                ("tasks", report.tasks),
                ("permissions", report.permissions),
            ):
                if values:
                    sys.stdout.write(f"  {label}: {', '.join(values)}\n")
            if report.config != "none":
                sys.stdout.write(f"  config: {report.config}\n")

    @app.command("new")
    def plugins_new(
        name: Annotated[str, typer.Argument(help="The plugin's id, e.g. team-links (package callboard-team-links).")],
        directory: Annotated[Path, typer.Option("--dir", help="Where to create the package folder.")] = Path(),
    ) -> None:
        """Generate a plugin package: a route, a table with its migration, a scheduled task, an entity card,
        config and tests that pass as generated."""
        from callboard.plugins.scaffold import ScaffoldError, scaffold

        try:
            target = scaffold(name, directory)
        except ScaffoldError as error:
            err.print(f"[red]error:[/red] {escape(str(error))}")
            raise typer.Exit(2) from None
        err.print(f"Created {target}. Next: cd {target} && pip install -e . && pytest")

    return app


def tasks_cli(runtime_for: RuntimeFor, err: Console) -> typer.Typer:
    app = typer.Typer(help="Scheduled tasks: last runs, and running one now.", no_args_is_help=True)

    @app.command("list")
    def tasks_list(config: ConfigOption = None) -> None:
        """Every scheduled task with its schedule, next run and last runs (on any replica)."""
        runtime = runtime_for(config)
        try:
            statuses = runtime.scheduler.status()
        finally:
            runtime.close()
        table = Table("task", "plugin", "scope", "schedule", "next run (UTC)", "last run", "outcome")
        for status in statuses:
            last = status.runs[0] if status.runs else None
            table.add_row(
                status.id,
                status.owner,
                status.scope,
                status.schedule,
                _when(status.next_run_at),
                _when(last.started_at) if last else "never",
                escape(f"{last.status}{': ' + last.error if last.error else ''}") if last else "",
            )
        Console(soft_wrap=True).print(table)

    @app.command("run")
    def tasks_run(
        task_id: Annotated[str, typer.Argument(help="The task's id, as `callboard tasks list` shows it.")],
        config: ConfigOption = None,
    ) -> None:
        """Run a task now, in this process, and wait for it; exits 1 when the run fails."""
        runtime = runtime_for(config)
        try:
            try:
                with err.status(f"running {task_id}..."):
                    run = runtime.scheduler.run_now(task_id, by="command line")
            except NotFoundError as error:
                err.print(f"[red]error:[/red] {escape(str(error))}")
                raise typer.Exit(2) from None
        finally:
            runtime.close()
        sys.stdout.write(f"{task_id}: {run.status}{': ' + run.error if run.error else ''}\n")
        if run.status != "succeeded":
            raise typer.Exit(1)

    return app


def _when(moment: float | None) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""
