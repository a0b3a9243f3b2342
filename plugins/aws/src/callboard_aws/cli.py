"""``callboard aws scan [--dry-run]``: a scan in this process, with a progress bar per account on stderr."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from callboard.sdk import CommandPortal

if TYPE_CHECKING:  # the scan's modules load when it runs, not with every command's --help
    from callboard_aws.inventory import ScanReport
    from callboard_aws.model import Account

PROVIDER = "inventory"


def add_commands(cli: typer.Typer, portal: CommandPortal) -> None:
    aws = typer.Typer(
        help="Cloud inventory: AWS accounts, clusters and resources in the catalog.", no_args_is_help=True
    )

    @aws.command("scan")
    def scan(
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Print the entities as YAML on stdout; write nothing")
        ] = False,
        config: Annotated[
            list[Path] | None, typer.Option("--config", "-c", help="app-config file; repeat to layer, later files win.")
        ] = None,
    ) -> None:
        """Scan the organisation's accounts now; exits 1 when an account could not be read."""
        from callboard_aws.inventory import Inventory

        err = Console(stderr=True, highlight=False, soft_wrap=True)
        with portal.open(config) as session:
            context = session.context("aws")
            connection = None if dry_run else session.provider("aws", PROVIDER)
            inventory = Inventory(context)
            with _Bars(err) as bars:
                try:
                    report = inventory.scan(connection, dry_run=dry_run, progress=bars.advance, on_accounts=bars.start)
                except Exception as error:
                    err.print(f"[red]error:[/red] {escape(str(error))}")
                    raise typer.Exit(2) from None
        if dry_run:
            yaml.safe_dump_all(report.entities, sys.stdout, sort_keys=False, allow_unicode=True)
        _summary(err, report)
        if report.failed:
            raise typer.Exit(1)

    cli.add_typer(aws, name="aws")


class _Bars:
    """An overall bar, and one per account while it is being read (finished ones give way to the next)."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        )
        self._lock = threading.Lock()
        self._bars: dict[str, TaskID] = {}
        self._overall: TaskID | None = None

    def __enter__(self) -> _Bars:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def start(self, accounts: list[Account]) -> None:
        self._overall = self.progress.add_task("accounts", total=len(accounts))

    def advance(self, account: Account, done: int, total: int, error: str | None) -> None:
        with self._lock:
            bar = self._bars.get(account.id)
            if bar is None:
                bar = self._bars[account.id] = self.progress.add_task(f"  {account.name} ({account.id})", total=total)
            self.progress.update(bar, completed=done)
            if error is not None:
                self.progress.console.print(f"[red]{escape(account.name)} ({account.id}):[/red] {escape(error)}")
            if done >= total:
                self.progress.remove_task(bar)
                if self._overall is not None:
                    self.progress.advance(self._overall)


def _summary(console: Console, report: ScanReport) -> None:
    table = Table("account", "unit", "owner", "resources", "unowned", "unmanaged", "status", title="AWS inventory")
    for row in report.rows:
        resources = sum(count for kind, count in row.counts.items() if kind != "cloud-account")
        table.add_row(
            escape(f"{row.name} ({row.account_id})" if row.account_id else row.name),
            escape(row.ou_path),
            escape(row.owner or "unowned"),
            str(resources),
            str(row.unowned),
            str(row.unmanaged),
            escape(row.status + (f": {row.error}" if row.error else "")),
        )
    console.print(table)
    verb = "would write" if report.dry_run else "wrote"
    console.print(
        f"{report.accounts} accounts, {len(report.entities)} entities; {verb} {report.written}, "
        f"removed {report.removed}; {report.calls} API calls ({report.retries} retries) in {report.seconds:.1f} s"
    )
    for error in report.errors:
        console.print(f"[yellow]warning:[/yellow] {escape(error)}")
