"""``callboard events send``: record a change from a pipeline, through the portal's API with a service token."""

from __future__ import annotations

import uuid
from typing import Annotated

import httpx
import typer
from typer import Typer

from callboard_change_events.model import TYPES


def add_commands(cli: Typer) -> None:
    events = Typer(help="Change events: record what changed, from pipelines and scripts.", no_args_is_help=True)

    @events.command("send")
    def send(
        change_type: Annotated[str, typer.Option("--type", help=f"One of: {', '.join(TYPES)}")],
        entity: Annotated[list[str], typer.Option("--entity", help="Entity ref it concerns (repeatable)")],
        title: Annotated[str, typer.Option(help="What changed, in a few words")] = "",
        env: Annotated[str, typer.Option("--env", help="Environment, e.g. production")] = "",
        market: Annotated[str, typer.Option(help="Market or region, e.g. eu-west-1")] = "",
        cluster: Annotated[str, typer.Option(help="Cluster it ran on")] = "",
        version: Annotated[str, typer.Option(help="Version, tag or commit")] = "",
        url: Annotated[str, typer.Option(help="Link to the change at its source")] = "",
        actor: Annotated[str, typer.Option(help="Who made the change")] = "",
        event_id: Annotated[
            str, typer.Option("--id", help="The change's id at its source (sending it twice stores it once)")
        ] = "",
        source: Annotated[str, typer.Option(help="Where the change comes from, e.g. jenkins")] = "cli",
        at: Annotated[str, typer.Option("--time", help="When, ISO 8601 (default: now)")] = "",
        server: Annotated[
            str, typer.Option(envvar="CALLBOARD_URL", help="The portal's address")
        ] = "http://127.0.0.1:7007",
        token: Annotated[
            str, typer.Option(envvar="CALLBOARD_TOKEN", help="A token with change-events.create (CALLBOARD_TOKEN)")
        ] = "",
    ) -> None:
        """Record one change event (e.g. from a deploy job) and print its id."""
        if not token:
            raise typer.BadParameter("set CALLBOARD_TOKEN (or --token) to a token allowed change-events.create")
        body = {
            "type": change_type,
            "entityRefs": entity,
            "title": title or f"{change_type} {version}".strip(),
            "environment": env,
            "market": market,
            "cluster": cluster,
            "version": version,
            "url": url,
            "actor": actor,
            "source": source,
            "id": event_id or str(uuid.uuid4()),
        }
        if at:
            body["time"] = at
        try:
            response = httpx.post(
                f"{server.rstrip('/')}/api/change-events",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
        except httpx.HTTPError as error:
            typer.echo(f"could not reach {server}: {error}", err=True)
            raise typer.Exit(2) from None
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:300]
            typer.echo(f"refused ({response.status_code}): {message}", err=True)
            raise typer.Exit(1)
        answer = response.json()
        state = "recorded" if answer.get("created") else "already recorded"
        where = ", ".join(answer.get("entityRefs") or []) or f"no entity ({answer.get('unmatched')})"
        typer.echo(f"{state}: change event {answer['id']} on {where}")

    cli.add_typer(events, name="events")
