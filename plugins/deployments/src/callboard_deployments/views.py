"""What the pages and the API show: each workload as an item (fresh or stale, who deployed it), an entity's
matrix with drift marked, and the fleet (many entities by environment)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from callboard_deployments.model import iso
from callboard_deployments.settings import Settings
from callboard_deployments.store import HEALTH_RANK, FleetRows

EVENTS = "change-events"


def items(
    rows: Iterable[Any], contacts: Mapping[str, tuple[float, str | None]], now: float, settings: Settings
) -> list[dict[str, Any]]:
    """Every row as the API shows it. A deployment event names who deployed the version a cluster runs; an event
    for a place no source watches is an item of its own (``source: change-events``)."""
    rows = list(rows)
    events: dict[tuple[str, str, str], Any] = {}
    for row in rows:
        if row.source == "change-events":
            for key in (
                (row.entity_ref, row.place, row.version),
                (row.entity_ref, f"{row.environment}/{row.market}", row.version),
            ):
                if key not in events or (row.deployed_at or 0) > (events[key].deployed_at or 0):
                    events[key] = row
    watched = {(row.entity_ref, row.environment, row.market) for row in rows if row.source != "change-events"}
    watched |= {(ref, environment, "") for ref, environment, _ in watched}
    found = []
    for row in rows:
        if row.source == "change-events" and (row.entity_ref, row.environment, row.market) in watched:
            continue  # it told who deployed what a watched cluster runs (a market-less event: any of them)
        found.append(_item(row, events, contacts, now, settings))
    return found


def _item(
    row: Any,
    events: Mapping[tuple[str, str, str], Any],
    contacts: Mapping[str, tuple[float, str | None]],
    now: float,
    settings: Settings,
) -> dict[str, Any]:
    deployed_at, deployed_by = row.deployed_at, row.deployed_by
    event = events.get((row.entity_ref, row.place, row.version)) or events.get(
        (row.entity_ref, f"{row.environment}/{row.market}", row.version)
    )
    if row.source != "change-events" and event is not None:
        deployed_at, deployed_by = event.deployed_at or deployed_at, event.deployed_by or deployed_by
    contact, problem = contacts.get(row.place, (0.0, None))
    if row.source == "change-events":
        observed = row.deployed_at or row.observed_at
        stale = now - observed > settings.event_stale_after_days * 86400
    else:
        observed = max(row.observed_at, contact)
        stale = now - observed > settings.stale_after_minutes * 60
    return {
        "entityRef": row.entity_ref,
        "environment": row.environment,
        "market": row.market,
        "cluster": row.place,
        "namespace": row.namespace,
        "kind": row.kind,
        "name": row.name,
        "version": row.version,
        "image": row.image,
        "replicas": row.replicas,
        "ready": row.ready,
        "health": row.health,
        "sync": row.sync,
        "deployedAt": iso(deployed_at),
        "deployedBy": deployed_by,
        "source": row.source,
        "observedAt": iso(observed),
        "stale": stale,
        "staleReason": (problem or f"not heard from since {iso(observed)}") if stale else None,
        # Only web addresses become links: a change event's URL comes from whoever sent it.
        "url": row.url if row.url.startswith(("https://", "http://")) else "",
    }


def mark_drift(found: list[dict[str, Any]], settings: Settings) -> dict[str, str]:
    """Flag each item whose version differs from the rest of its environment (``drift``) or from production's
    (``differsFromProduction``); returns each environment's prevailing version."""
    prevailing = prevailing_versions(found)
    reference = prevailing.get(settings.reference_environment)
    versions: dict[tuple[str, str], set[str]] = {}
    for item in found:
        versions.setdefault((item["entityRef"], item["environment"]), set()).add(item["version"])
    for item in found:
        several = len(versions[(item["entityRef"], item["environment"])]) > 1
        item["drift"] = several and item["version"] != prevailing.get(item["environment"])
        item["differsFromProduction"] = (
            reference is not None
            and item["environment"] != settings.reference_environment
            and item["version"] != reference
        )
    return prevailing


def prevailing_versions(found: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Per environment, the version most of its places run (ties go to the most recently deployed)."""
    by_environment: dict[str, Counter[str]] = {}
    latest: dict[str, str] = {}
    for item in found:
        by_environment.setdefault(item["environment"], Counter())[item["version"]] += 1
        latest[item["version"]] = max(latest.get(item["version"], ""), item["deployedAt"] or "")
    return {
        environment: max(counts, key=lambda version: (counts[version], latest.get(version, ""), version))
        for environment, counts in by_environment.items()
    }


@dataclass
class Row:
    """One environment of the matrix: per market (in column order), the items of its clusters."""

    environment: str
    cells: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def grid(found: list[dict[str, Any]], settings: Settings) -> tuple[list[str], list[Row]]:
    """Markets as columns and environments as rows, each in the configured order (others after, by name);
    within a cell, its clusters by name."""
    environments = {name: index for index, name in enumerate(settings.environments)}
    markets = {name: index for index, name in enumerate(settings.markets)}
    columns = sorted({item["market"] for item in found}, key=lambda name: (markets.get(name, len(markets)), name))
    names = sorted(
        {item["environment"] for item in found}, key=lambda name: (environments.get(name, len(environments)), name)
    )
    rows = [Row(name, {market: [] for market in columns}) for name in names]
    by_name = {row.environment: row for row in rows}
    for item in sorted(found, key=lambda item: (item["cluster"], item["namespace"], item["name"])):
        by_name[item["environment"]].cells[item["market"]].append(item)
    return columns, rows


@dataclass
class FleetCell:
    versions: list[str]
    drift: bool
    differs_from_production: bool
    health: str
    stale: bool
    places: int

    @property
    def css(self) -> str:
        """The cell's classes on the fleet page (computed here: a thousand rows of template logic is slow)."""
        found = f"cell health-{self.health.lower()}"
        if self.drift:
            found += " drift"
        if self.differs_from_production:
            found += " not-in-reference"
        return found + " stale" if self.stale else found


@dataclass
class _Tally:
    """What the rows of one entity in one environment add up to."""

    versions: Counter[str] = field(default_factory=Counter)
    latest: dict[str, float] = field(default_factory=dict)
    health: str = "Healthy"
    stale: bool = False
    places: int = 0


def fleet(
    rows: FleetRows, refs: Sequence[str], now: float, settings: Settings
) -> tuple[list[str], dict[str, dict[str, FleetCell]]]:
    """Entities by environments: each cell the versions running there (several: drift), how healthy, how fresh."""
    tallies: dict[str, dict[str, _Tally]] = {}

    def tally_of(ref: str, environment: str) -> _Tally:
        mine = tallies.setdefault(ref, {})
        found = mine.get(environment)
        if found is None:
            found = mine[environment] = _Tally()
        return found

    worst = {rank: name for name, rank in HEALTH_RANK.items()}
    for ref, environment, version, places, stale, rank, deployed in rows.grouped:
        tally = tally_of(ref, environment)
        tally.versions[version] += places
        tally.latest[version] = max(tally.latest.get(version, 0.0), deployed or 0.0)
        if rank < HEALTH_RANK.get(tally.health, 4):
            tally.health = worst.get(rank, "Unknown")
        tally.stale = tally.stale or bool(stale)
        tally.places += places
    watched = rows.watched | {(ref, environment, "") for ref, environment, _ in rows.watched}
    event_after = now - settings.event_stale_after_days * 86400
    for ref, environment, market, _, version, deployed_at, observed in rows.events:
        if (ref, environment, market) in watched:
            continue  # it told who deployed what a watched cluster runs
        tally = tally_of(ref, environment)
        tally.versions[version] += 1
        tally.latest[version] = max(tally.latest.get(version, 0.0), deployed_at or 0.0)
        if HEALTH_RANK["Unknown"] < HEALTH_RANK.get(tally.health, 4):
            tally.health = "Unknown"
        tally.stale = tally.stale or (deployed_at or observed) < event_after
        tally.places += 1
    seen = {environment for mine in tallies.values() for environment in mine}
    columns = [name for name in settings.environments if name in seen] + sorted(seen - set(settings.environments))
    cells: dict[str, dict[str, FleetCell]] = {}
    for ref in refs:
        mine = tallies.get(ref, {})
        reference_tally = mine.get(settings.reference_environment)
        reference = _prevailing(reference_tally) if reference_tally else None
        row_cells: dict[str, FleetCell] = {}
        for environment, tally in mine.items():
            versions = sorted(tally.versions, key=lambda version: (-tally.versions[version], version))
            row_cells[environment] = FleetCell(
                versions=versions,
                drift=len(versions) > 1,
                differs_from_production=reference is not None
                and environment != settings.reference_environment
                and _prevailing(tally) != reference,
                health=tally.health,
                stale=tally.stale,
                places=tally.places,
            )
        cells[ref] = row_cells
    return columns, cells


def _prevailing(tally: _Tally) -> str:
    return max(tally.versions, key=lambda version: (tally.versions[version], tally.latest.get(version, 0.0), version))


def fleet_body(refs: Sequence[str], columns: Sequence[str], cells: Mapping[str, Mapping[str, FleetCell]]) -> str:
    """The fleet table's rows as HTML, escaped here: a thousand rows of five cells are a quarter of the time
    a template takes for them."""
    parts: list[str] = []
    for ref in refs:
        kind, _, rest = ref.partition(":")
        namespace, _, name = rest.partition("/")
        href = escape(f"/catalog/{namespace}/{kind}/{name}/deployments")
        parts.append(f'<tr><th scope="row"><a href="{href}">{escape(name)}</a></th>')
        mine = cells.get(ref, {})
        for column in columns:
            cell = mine.get(column)
            if cell is None:
                parts.append('<td class="cell muted">—</td>')
                continue
            title = f"{cell.places} workload{'s' if cell.places != 1 else ''} · {cell.health}"
            versions = escape(", ".join(cell.versions))
            parts.append(
                f'<td class="{escape(cell.css)}" title="{escape(title)}"><span class="dot"></span>{versions}</td>'
            )
        parts.append("</tr>\n")
    return "".join(parts)
