"""Reading and writing what runs where (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, case, delete, func, insert, select, update

from callboard.sdk import PluginDatabase
from callboard_deployments.model import Observation, Place
from callboard_deployments.tables import history, sources, workloads

_IN_CHUNK = 500
#: Columns an observation sets; a row whose values are all the same is not written again.
_FIELDS = (
    "match_key",
    "labels",
    "entity_ref",
    "environment",
    "market",
    "version",
    "image",
    "replicas",
    "ready",
    "health",
    "sync",
    "deployed_at",
    "deployed_by",
    "url",
)

Resolve = Callable[[Observation], "str | None"]


@dataclass(frozen=True)
class Written:
    """What a write changed: rows added, rows changed, rows removed, versions that moved."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    moved: int = 0

    def __add__(self, other: Written) -> Written:
        return Written(
            self.added + other.added,
            self.changed + other.changed,
            self.removed + other.removed,
            self.moved + other.moved,
        )

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def record(
    database: PluginDatabase,
    observations: Sequence[Observation],
    places: Mapping[str, Place],
    resolve: Resolve,
    now: float,
    *,
    complete: tuple[str, str, str | None] | None = None,
) -> Written:
    """Store what a source saw. ``complete=(source, place, kind)``: these are all of that source's workloads
    there (of that kind when given), so the rows not among them are gone."""
    written = Written()
    with database.transaction() as connection:
        by_scope: dict[tuple[str, str], list[Observation]] = {}
        for observation in observations:
            by_scope.setdefault((observation.source, observation.place), []).append(observation)
        if complete is not None:
            by_scope.setdefault((complete[0], complete[1]), [])
        for (source, place), found in by_scope.items():
            full = complete is not None and (source, place) == complete[:2]
            kind = complete[2] if full and complete is not None else None
            written += _record_scope(connection, source, place, found, places, resolve, now, full=full, kind=kind)
    return written


def _record_scope(
    connection: Connection,
    source: str,
    place: str,
    found: Sequence[Observation],
    places: Mapping[str, Place],
    resolve: Resolve,
    now: float,
    *,
    full: bool,
    kind: str | None,
) -> Written:
    scope = and_(workloads.c.source == source, workloads.c.place == place)
    if kind is not None:
        scope = and_(scope, workloads.c.kind == kind)
    if full:
        existing = {
            (row.namespace, row.kind, row.name): row for row in connection.execute(select(workloads).where(scope))
        }
    else:
        existing = _existing(connection, source, place, [item.identity for item in found])
    added: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    changed = 0
    for observation in found:
        values = _values(observation, places, resolve)
        row = existing.pop(observation.identity, None)
        if row is None:
            added.append(
                {
                    **values,
                    "source": source,
                    "place": place,
                    "namespace": observation.namespace,
                    "kind": observation.kind,
                    "name": observation.name,
                    "observed_at": now,
                }
            )
            if values["entity_ref"]:
                moved.append(_history(values, source, place, now))
            continue
        if all(getattr(row, name) == values[name] for name in _FIELDS):
            continue
        if source == "change-events" and (row.deployed_at or 0) > (observation.deployed_at or 0):
            continue  # an older deployment delivered late does not undo a newer one
        if row.version != values["version"] and (values["deployed_at"] or 0) <= (row.deployed_at or 0):
            values["deployed_at"] = now  # the object does not say when the new version went out: when we saw it
        if values["entity_ref"] and (row.version != values["version"] or row.entity_ref != values["entity_ref"]):
            moved.append(_history(values, source, place, now))
        if row.version == values["version"] and row.deployed_at is not None and observation.deployed_at is None:
            values["deployed_at"] = row.deployed_at  # the same version keeps when it was deployed
        connection.execute(update(workloads).where(workloads.c.id == row.id).values(**values, observed_at=now))
        changed += 1
    if added:
        connection.execute(insert(workloads), added)
    if moved:
        connection.execute(insert(history), moved)
    removed = 0
    if full and existing:
        ids = [row.id for row in existing.values()]
        for start in range(0, len(ids), _IN_CHUNK):
            connection.execute(delete(workloads).where(workloads.c.id.in_(ids[start : start + _IN_CHUNK])))
        removed = len(ids)
    return Written(len(added), changed, removed, len(moved))


def _existing(
    connection: Connection, source: str, place: str, identities: Sequence[tuple[str, str, str]]
) -> dict[tuple[str, str, str], Any]:
    found: dict[tuple[str, str, str], Any] = {}
    names = sorted({name for _, _, name in identities})
    for start in range(0, len(names), _IN_CHUNK):
        query = select(workloads).where(
            workloads.c.source == source,
            workloads.c.place == place,
            workloads.c.name.in_(names[start : start + _IN_CHUNK]),
        )
        for row in connection.execute(query):
            found[(row.namespace, row.kind, row.name)] = row
    return found


def _values(observation: Observation, places: Mapping[str, Place], resolve: Resolve) -> dict[str, Any]:
    place = places.get(observation.place)
    return {
        "match_key": observation.match_key[:400],
        "labels": orjson.dumps(dict(observation.labels), option=orjson.OPT_SORT_KEYS).decode(),
        "entity_ref": observation.entity_ref or resolve(observation),
        "environment": observation.environment or (place.environment if place else ""),
        "market": observation.market or (place.market if place else ""),
        "version": observation.version[:200],
        "image": observation.image,
        "replicas": observation.replicas,
        "ready": observation.ready,
        "health": observation.health,
        "sync": observation.sync,
        "deployed_at": observation.deployed_at,
        "deployed_by": observation.deployed_by[:200],
        "url": observation.url,
    }


def _history(values: Mapping[str, Any], source: str, place: str, now: float) -> dict[str, Any]:
    return {
        "entity_ref": values["entity_ref"],
        "place": place,
        "environment": values["environment"],
        "market": values["market"],
        "version": values["version"],
        "source": source,
        "since": values["deployed_at"] or now,
        "deployed_by": values["deployed_by"],
    }


def remove(database: PluginDatabase, source: str, place: str, identity: tuple[str, str, str]) -> int:
    namespace, kind, name = identity
    with database.transaction() as connection:
        result = connection.execute(
            delete(workloads).where(
                workloads.c.source == source,
                workloads.c.place == place,
                workloads.c.namespace == namespace,
                workloads.c.kind == kind,
                workloads.c.name == name,
            )
        )
    return int(result.rowcount or 0)


# -- sources' progress ----------------------------------------------------------------------------------


def progress(database: PluginDatabase, key: str) -> str:
    with database.connect() as connection:
        found = connection.execute(select(sources.c.resource_version).where(sources.c.key == key)).scalar()
    return str(found or "")


def contacted(
    database: PluginDatabase,
    key: str,
    place: str,
    now: float,
    resource_version: str | None = None,
    *,
    listed: bool = False,
    error: str | None = None,
) -> None:
    """The source heard from ``place`` at ``now`` (and may resume from ``resource_version``)."""
    values: dict[str, Any] = {"contacted_at": now, "error": error}
    if resource_version is not None:
        values["resource_version"] = resource_version
    if listed:
        values["listed_at"] = now
    with database.transaction() as connection:
        if error is not None:
            values.pop("contacted_at")
        done = connection.execute(update(sources).where(sources.c.key == key).values(**values)).rowcount
        if not done:
            connection.execute(
                insert(sources).values(
                    key=key,
                    place=place,
                    resource_version=resource_version or "",
                    contacted_at=now if error is None else 0.0,
                    listed_at=now if listed else None,
                    error=error,
                )
            )


def contacts(database: PluginDatabase) -> dict[str, tuple[float, str | None]]:
    """Per place: when any source last heard from it, and the latest error (None when it was heard from since)."""
    found: dict[str, tuple[float, str | None]] = {}
    with database.connect() as connection:
        for row in connection.execute(select(sources.c.place, sources.c.contacted_at, sources.c.error)):
            before = found.get(row.place)
            if before is None or row.contacted_at > before[0]:
                found[row.place] = (row.contacted_at, row.error or (before[1] if before else None))
            elif row.error:
                found[row.place] = (before[0], row.error)
    return found


# -- reading --------------------------------------------------------------------------------------------


def for_entities(database: PluginDatabase, refs: Iterable[str]) -> list[Any]:
    unique = sorted(set(refs))
    rows: list[Any] = []
    with database.connect() as connection:
        for start in range(0, len(unique), _IN_CHUNK):
            query = select(workloads).where(workloads.c.entity_ref.in_(unique[start : start + _IN_CHUNK]))
            rows.extend(connection.execute(query))
    return rows


def for_place(database: PluginDatabase, place: str, limit: int, after: int = 0) -> list[Any]:
    query = (
        select(workloads)
        .where(workloads.c.place == place, workloads.c.id > after)
        .order_by(workloads.c.id)
        .limit(limit)
    )
    with database.connect() as connection:
        return list(connection.execute(query))


def cell_history(database: PluginDatabase, entity_ref: str, place: str, limit: int) -> list[Any]:
    query = (
        select(history)
        .where(history.c.entity_ref == entity_ref, history.c.place == place)
        .order_by(history.c.since.desc(), history.c.id.desc())
        .limit(limit)
    )
    with database.connect() as connection:
        return list(connection.execute(query))


def rematch(database: PluginDatabase, resolve: Callable[[str, str, str, str, Mapping[str, str]], str | None]) -> int:
    """Match every workload again (the catalog changed what names which entity); rows whose entity changed."""
    changed: list[tuple[int, str | None]] = []
    query = select(
        workloads.c.id,
        workloads.c.source,
        workloads.c.namespace,
        workloads.c.name,
        workloads.c.match_key,
        workloads.c.labels,
        workloads.c.entity_ref,
    ).where(workloads.c.source != "change-events")
    with database.connect() as connection:
        for row in connection.execute(query):
            ref = resolve(row.source, row.namespace, row.name, row.match_key, orjson.loads(row.labels))
            if ref != row.entity_ref:
                changed.append((row.id, ref))
    if changed:
        # One statement run for many rows (psycopg pipelines them): a catalog loaded after the clusters were
        # listed matches 100,000 workloads at once.
        statement = update(workloads).where(workloads.c.id == bindparam("row_id")).values(entity_ref=bindparam("ref"))
        with database.transaction() as connection:
            for start in range(0, len(changed), 5000):
                batch = changed[start : start + 5000]
                connection.execute(statement, [{"row_id": row_id, "ref": ref} for row_id, ref in batch])
    return len(changed)


def places_of(database: PluginDatabase, source: str) -> list[str]:
    with database.connect() as connection:
        query = select(workloads.c.place).where(workloads.c.source == source).distinct()
        return [str(place) for place in connection.execute(query).scalars()]


def entity_refs(database: PluginDatabase, limit: int, after: str = "") -> list[str]:
    """Entities something runs for, by ref, after ``after`` (the fleet page without a filter)."""
    query = (
        select(workloads.c.entity_ref)
        .where(workloads.c.entity_ref.is_not(None), workloads.c.entity_ref > after)
        .group_by(workloads.c.entity_ref)
        .order_by(workloads.c.entity_ref)
        .limit(limit)
    )
    with database.connect() as connection:
        return [str(ref) for ref in connection.execute(query).scalars()]


def place_counts(database: PluginDatabase) -> dict[str, tuple[int, int]]:
    """Per place sources watch: workloads, and how many of them are matched to an entity."""
    query = (
        select(workloads.c.place, func.count(), func.count(workloads.c.entity_ref))
        .where(workloads.c.source != "change-events")  # an event's place is not a cluster unless configured
        .group_by(workloads.c.place)
    )
    with database.connect() as connection:
        return {str(place): (int(total), int(matched)) for place, total, matched in connection.execute(query)}


def recent_history(database: PluginDatabase, entity_ref: str, limit: int) -> list[Any]:
    query = (
        select(history)
        .where(history.c.entity_ref == entity_ref)
        .order_by(history.c.since.desc(), history.c.id.desc())
        .limit(limit)
    )
    with database.connect() as connection:
        return list(connection.execute(query))


#: Health words by how bad they are (lowest worst), as the fleet page ranks a cell's places.
HEALTH_RANK = {"Degraded": 0, "Missing": 1, "Progressing": 2, "Suspended": 3, "Unknown": 4, "Healthy": 5}


@dataclass(frozen=True)
class FleetRows:
    """The fleet's workloads added up by the database: per entity, environment, version and source, how many
    places run it, how many of them are stale, the worst health and the latest deployment; and the few
    deployment-event rows, with the places sources watch for their entities (an event there is no cell)."""

    grouped: list[tuple[str, str, str, int, int, int, float]]
    events: list[tuple[str, str, str, str, str, float | None, float]]
    watched: set[tuple[str, str, str]]


def fleet_rows(database: PluginDatabase, refs: Sequence[str], live_after: float) -> FleetRows:
    """What the fleet page shows for ``refs``, summed in SQL (1,000 entities are 30,000 workloads).

    A workload is stale when neither it nor its place was heard from since ``live_after``: the places heard
    from are few and known first, so the sum needs no join."""
    fresh = [place for place, (heard, _) in contacts(database).items() if heard >= live_after]
    old = workloads.c.observed_at < live_after
    stale = and_(old, workloads.c.place.not_in(fresh)) if fresh else old
    rank = case(*((workloads.c.health == name, value) for name, value in HEALTH_RANK.items()), else_=4)
    unique = sorted(set(refs))
    grouped: list[tuple[str, str, str, int, int, int, float]] = []
    events: list[tuple[str, str, str, str, str, float | None, float]] = []
    with database.connect() as connection:
        for start in range(0, len(unique), _IN_CHUNK):
            chunk = unique[start : start + _IN_CHUNK]
            query = (
                select(
                    workloads.c.entity_ref,
                    workloads.c.environment,
                    workloads.c.version,
                    func.count(func.distinct(workloads.c.place)),
                    func.sum(case((stale, 1), else_=0)),
                    func.min(rank),
                    func.max(func.coalesce(workloads.c.deployed_at, 0.0)),
                )
                .where(workloads.c.entity_ref.in_(chunk), workloads.c.source != "change-events")
                .group_by(workloads.c.entity_ref, workloads.c.environment, workloads.c.version)
            )
            grouped.extend(tuple(row) for row in connection.execute(query))
            query = select(
                workloads.c.entity_ref,
                workloads.c.environment,
                workloads.c.market,
                workloads.c.place,
                workloads.c.version,
                workloads.c.deployed_at,
                workloads.c.observed_at,
            ).where(workloads.c.entity_ref.in_(chunk), workloads.c.source == "change-events")
            events.extend(tuple(row) for row in connection.execute(query))
        watched: set[tuple[str, str, str]] = set()
        with_events = sorted({row[0] for row in events})
        for start in range(0, len(with_events), _IN_CHUNK):
            query = (
                select(workloads.c.entity_ref, workloads.c.environment, workloads.c.market)
                .where(
                    workloads.c.entity_ref.in_(with_events[start : start + _IN_CHUNK]),
                    workloads.c.source != "change-events",
                )
                .distinct()
            )
            watched.update(tuple(row) for row in connection.execute(query))
    return FleetRows(grouped, events, watched)


def runs_anything(database: PluginDatabase, entity_ref: str) -> bool:
    """Whether any source reports a workload of ``entity_ref`` (one index probe)."""
    query = select(workloads.c.id).where(workloads.c.entity_ref == entity_ref).limit(1)
    with database.connect() as connection:
        return connection.execute(query).first() is not None


def running_in(database: PluginDatabase, places: Sequence[str] | None) -> dict[str, list[str]]:
    """The entities each place runs (every place when ``places`` is None), for other plugins to know."""
    query = select(workloads.c.place, workloads.c.entity_ref).where(workloads.c.entity_ref.is_not(None)).distinct()
    if places is not None:
        query = query.where(workloads.c.place.in_(list(places)))
    found: dict[str, list[str]] = {place: [] for place in places or ()}
    with database.connect() as connection:
        for place, ref in connection.execute(query.order_by(workloads.c.place, workloads.c.entity_ref)):
            found.setdefault(place, []).append(ref)
    return found
