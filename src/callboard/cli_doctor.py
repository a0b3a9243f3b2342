"""``callboard doctor``: is this installation healthy? Configuration, database and migrations, background work,
integrations and plugins, each with what to do when it is not."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from callboard.cli_plugins import ConfigOption

if TYPE_CHECKING:
    from callboard.app import Runtime
    from callboard.assembly import Callboard
    from callboard.storage.db import Database

#: The full-text filter's trigram index on PostgreSQL (migration 0018), and how to make it by hand.
TRIGRAM_INDEX = "ix_search_text_trigrams"
TRIGRAM_INDEX_SQL = (
    f"CREATE INDEX {TRIGRAM_INDEX} ON search USING gin (value gin_trgm_ops) WHERE key IN "
    "('metadata.name', 'metadata.title', 'spec.profile.displayname', 'metadata.description');"
)

#: Background work is presumed stopped when no scheduled task has started for this long.
QUIET_SECONDS = 30 * 60


@dataclass(frozen=True)
class Finding:
    area: str
    level: str  # "ok", "warn" or "fail"
    message: str


def doctor_command(
    callboard_for: Callable[[list[Path] | None], Callboard],
    runtime_for: Callable[[list[Path] | None], Runtime],
    err: Console,
) -> Callable[..., None]:
    def doctor(config: ConfigOption = None) -> None:
        """Check this installation: configuration, database and migrations, background work (workers, stuck
        catalog items, scheduled tasks), integrations' credentials and plugins. Exits 1 when something fails."""
        callboard = callboard_for(config)  # an invalid configuration stops here, with the file and key
        findings = [Finding("configuration", "ok", _files(callboard))]
        findings.extend(_database(callboard))
        if all(finding.level == "ok" for finding in findings):
            runtime = runtime_for(config)
            try:
                findings.extend(_background(runtime))
                findings.extend(_plugins(runtime))
            finally:
                runtime.close()
        _print(findings)
        if any(finding.level == "fail" for finding in findings):
            raise typer.Exit(1)

    return doctor


def _files(callboard: Callboard) -> str:
    loaded = callboard.settings.loaded
    return "valid; " + (", ".join(str(path) for path in loaded.files) if loaded and loaded.files else "defaults")


def _database(callboard: Callboard) -> Iterator[Finding]:
    from callboard.storage.db import Database, database_url
    from callboard.storage.migrate import current_revision, head_revision

    settings = callboard.settings
    try:
        database = Database(database_url(settings.backend.database, (Path.cwd() / settings.data_dir).resolve()))
    except Exception as error:  # a URL or driver SQLAlchemy cannot use
        yield Finding("database", "fail", f"backend.database: {error}")
        return
    try:
        revision = current_revision(database)
        trigrams = _trigram_index(database) if revision == head_revision() else None
    except Exception as error:  # unreachable, refused, or not a database
        yield Finding("database", "fail", f"{database.describe()}: {str(error).splitlines()[0]}")
        return
    finally:
        database.dispose()
    yield Finding("database", "ok", f"{database.describe()} answers")
    head = head_revision()
    if revision != head:
        yield Finding("migrations", "fail", f"at {revision or 'none'}, needs {head}: run callboard db upgrade")
    else:
        yield Finding("migrations", "ok", f"at {head}")
    if trigrams is not None:
        yield trigrams


def _trigram_index(database: Database) -> Finding | None:
    """On PostgreSQL, whether the full-text filter has its trigram index (it needs the pg_trgm extension)."""
    if database.is_sqlite:
        return None
    from callboard.storage.migrate import has_postgres_index

    if has_postgres_index(database, TRIGRAM_INDEX):
        return Finding("full-text filter", "ok", "indexed by trigrams (pg_trgm)")
    return Finding(
        "full-text filter",
        "warn",
        "not indexed: the pg_trgm extension could not be created, so large catalogs scan every name for "
        "fullTextFilterTerm. As a database superuser run: CREATE EXTENSION pg_trgm; then " + TRIGRAM_INDEX_SQL,
    )


def _background(runtime: Runtime) -> Iterator[Finding]:
    status = runtime.catalog.status()
    pending = int(status["pending"])
    yield Finding(
        "catalog processing",
        "ok" if pending == 0 else "warn",
        "nothing waiting" if pending == 0 else f"{pending} items waiting: a worker is busy, or none is running",
    )
    now = time.time()
    # A claim whose lease ran out a while ago and that nobody took over: the worker that held it died, and no
    # other is processing (a live worker takes expired claims within seconds).
    expired = runtime.database.read(
        "SELECT count(*) FROM refresh_state WHERE lease_owner IS NOT NULL AND lease_until < :cutoff",
        cutoff=now - 300,
    )[0][0]
    if expired:
        yield Finding("catalog leases", "fail", f"{expired} items claimed by a worker that stopped: start a worker")
    tasks = runtime.scheduler.status()
    started = [run.started_at for task in tasks for run in task.runs]
    if tasks and (not started or now - max(started) > QUIET_SECONDS):
        yield Finding(
            "workers",
            "fail",
            "no scheduled task has started for 30 minutes: start `callboard worker` (or serve without --no-worker)",
        )
    elif tasks:
        yield Finding("workers", "ok", f"a scheduled task started {int(now - max(started))} s ago")
    for task in tasks:
        last = task.runs[0] if task.runs else None
        if last is not None and last.status in ("failed", "timed out"):
            yield Finding(f"task {task.id}", "warn", f"last run {last.status}: {last.error or ''}".strip())
        if task.running_on and last is not None and last.finished_at is None and now - last.started_at > 6 * 3600:
            yield Finding(f"task {task.id}", "warn", f"running on {task.running_on} for over 6 hours: stuck?")


def _plugins(runtime: Runtime) -> Iterator[Finding]:
    from callboard.app_plugins import inventory, run_health_checks

    for report in inventory(runtime.callboard.plugins, runtime.backend):
        yield Finding(f"plugin {report.name}", "ok", f"{report.package} {report.version}")
        for check in run_health_checks(runtime.backend, report.name):
            yield Finding(f"plugin {report.name}", "ok" if check.ok else "fail", f"{check.title}: {check.message}")


def _print(findings: list[Finding]) -> None:
    table = Table("", "area", "finding", show_header=False, box=None)
    marks = {"ok": "[green]✓[/green]", "warn": "[yellow]![/yellow]", "fail": "[red]✗[/red]"}
    for finding in findings:
        table.add_row(marks[finding.level], escape(finding.area), escape(finding.message))
    # Piped (a CI log): whole lines rather than folded to 80 columns.
    Console(width=None if sys.stdout.isatty() else 160).print(table)
