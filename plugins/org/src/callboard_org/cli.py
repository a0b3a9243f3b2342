"""``callboard org read``: read every configured directory now and show what the catalog would get."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.markup import escape

from callboard.sdk import CommandPortal, UpstreamError


def add_commands(cli: typer.Typer, portal: CommandPortal) -> None:
    org = typer.Typer(help="Your organisation's Users and Groups, from LDAP.", no_args_is_help=True)

    @org.command("read")
    def read_now(
        output: Annotated[bool, typer.Option("--yaml", help="Print the entities as YAML on stdout.")] = False,
        config: Annotated[
            list[Path] | None, typer.Option("--config", "-c", help="app-config file; repeat to layer, later files win.")
        ] = None,
    ) -> None:
        """Read each directory of catalog.providers.ldapOrg (nothing is written); exits 1 when one cannot be read."""
        from callboard_org.ldap_reader import read
        from callboard_org.settings import Settings

        err = Console(stderr=True, highlight=False, soft_wrap=True)
        failed = False
        with portal.open(config) as session:
            settings: Settings = session.context("org").config
            if not settings.ldap_org:
                err.print("[yellow]no directories:[/yellow] add catalog.providers.ldapOrg.<id> to app-config")
            for provider_id, provider in settings.ldap_org.items():
                try:
                    with err.status(f"Reading {escape(provider.target)}..."):
                        found = read(provider)
                except UpstreamError as error:
                    err.print(f"[red]{escape(provider_id)}:[/red] {escape(str(error))}")
                    failed = True
                    continue
                err.print(f"{escape(provider_id)}: {len(found.users)} users, {len(found.groups)} groups")
                for reason in found.skipped:
                    err.print(f"  [yellow]skipped[/yellow] {escape(reason)}")
                if output:
                    yaml.safe_dump_all(found.entities, sys.stdout, sort_keys=False, allow_unicode=True)
        if failed:
            raise typer.Exit(1)

    cli.add_typer(org, name="org")
