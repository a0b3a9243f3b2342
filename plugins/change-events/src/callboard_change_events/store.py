"""Reading and writing change events in the plugin's tables (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from callboard.sdk import InputError, PluginDatabase
from callboard_change_events.model import ChangeEvent, iso
from callboard_change_events.tables import event_entities, events, pending_keys

MAX_PAGE = 500
_IN_CHUNK = 500


@dataclass(frozen=True)
class Stored:
    """What storing an event did: its id, and whether it was new (False: the same change came before)."""

    id: int
    created: bool


@dataclass(frozen=True)
class Query:
    """Which events to list: any of ``entity_refs`` (None: all), of these types and environments, in a window."""

    entity_refs: Sequence[str] | None = None
    types: Sequence[str] = ()
    environments: Sequence[str] = ()
    since: float | None = None
    until: float | None = None
    limit: int = 50
    #: Continue after this event (by its id), newest first.
    after: int | None = None
    unmatched_only: bool = False


@dataclass(frozen=True)
class Placed:
    """An event to store, with the entities it concerns (or why none)."""

    event: ChangeEvent
    refs: Sequence[str]
    unmatched: str | None


def add_many(database: PluginDatabase, placed: Sequence[Placed], now: float) -> list[Stored]:
    """Store events in one transaction (one commit for a group of deliveries), each once."""
    try:
        with database.transaction() as connection:
            return [_add(connection, database.is_sqlite, item, now) for item in placed]
    except IntegrityError:
        if len(placed) > 1:  # another replica stored one of them meanwhile: each on its own, theirs stands
            return [add_many(database, [item], now)[0] for item in placed]
        with database.connect() as connection:
            found = _existing(connection, placed[0].event)
        if found is None:
            raise
        return [Stored(found, False)]


def _add(connection: Connection, is_sqlite: bool, placed: Placed, now: float) -> Stored:
    event = placed.event
    row = {
        "source": event.source,
        "external_id": event.external_id,
        "type": event.type,
        "time": event.time,
        "received_at": now,
        "actor": event.actor,
        "title": event.title,
        "url": event.url,
        "environment": event.environment,
        "market": event.market,
        "cluster": event.cluster,
        "version": event.version,
        "attributes": orjson.dumps(dict(event.attributes)).decode(),
        "unmatched": placed.unmatched,
    }
    dialect = sqlite_insert if is_sqlite else postgresql_insert
    statement = (
        dialect(events)
        .values(row)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(events.c.id)
    )
    created = connection.execute(statement).scalar()
    if created is None:  # the same change came before
        return Stored(_existing(connection, event) or 0, False)
    event_id = int(created)
    if placed.refs:
        connection.execute(
            insert(event_entities),
            [{"entity_ref": ref, "time": event.time, "event_id": event_id} for ref in placed.refs],
        )
    elif event.match_keys:
        connection.execute(
            insert(pending_keys), [{"match_key": key, "event_id": event_id} for key in set(event.match_keys)]
        )
    return Stored(event_id, True)


def _existing(connection: Connection, event: ChangeEvent) -> int | None:
    found = connection.execute(
        select(events.c.id).where(events.c.source == event.source, events.c.external_id == event.external_id)
    ).first()
    return int(found[0]) if found else None


def listed(database: PluginDatabase, query: Query) -> list[dict[str, Any]]:
    """Events newest first, as the API answers them (each with the refs of the entities it concerns)."""
    limit = max(1, min(query.limit, MAX_PAGE))
    with database.connect() as connection:
        after: tuple[float, int] | None = None
        if query.after is not None:
            moment = connection.execute(select(events.c.time).where(events.c.id == query.after)).scalar()
            if moment is None:
                raise InputError("cursor: that event is gone (retention removed it); start again without a cursor")
            after = (float(moment), query.after)
        if query.entity_refs is not None:
            ids = _ids_for_entities(connection, query, limit, after)
            if not ids:
                return []
            rows = list(connection.execute(select(events).where(events.c.id.in_(ids))))
            rows.sort(key=lambda row: (row.time, row.id), reverse=True)
        else:
            statement = select(events).where(*_event_conditions(query, after))
            if query.unmatched_only:
                statement = statement.where(events.c.unmatched.is_not(None))
            statement = statement.order_by(events.c.time.desc(), events.c.id.desc()).limit(limit)
            rows = list(connection.execute(statement))
        return _answers(connection, rows)


def _event_conditions(query: Query, after: tuple[float, int] | None = None) -> list[Any]:
    conditions: list[Any] = []
    if query.types:
        conditions.append(events.c.type.in_(list(query.types)))
    if query.environments:
        conditions.append(events.c.environment.in_(list(query.environments)))
    if query.since is not None:
        conditions.append(events.c.time >= query.since)
    if query.until is not None:
        conditions.append(events.c.time <= query.until)
    if after is not None:
        conditions.append(tuple_(events.c.time, events.c.id) < tuple_(*after))
    return conditions


def _ids_for_entities(connection: Connection, query: Query, limit: int, after: tuple[float, int] | None) -> list[int]:
    """Ids of the newest events concerning any of the entities: each entity's range of the (entity, time)
    index, newest first, merged; type and environment filters are applied on the events found."""
    refs = list(dict.fromkeys(query.entity_refs or ()))
    if not refs:
        return []
    found: list[int] = []
    seen: set[int] = set()
    filtered = bool(query.types or query.environments)
    while len(found) < limit:
        wanted = (limit - len(found)) * (4 if filtered else 1) + 1
        page: list[tuple[float, int]] = []
        for start in range(0, len(refs), _IN_CHUNK):
            statement = select(event_entities.c.time, event_entities.c.event_id).where(
                event_entities.c.entity_ref.in_(refs[start : start + _IN_CHUNK])
            )
            if query.since is not None:
                statement = statement.where(event_entities.c.time >= query.since)
            if query.until is not None:
                statement = statement.where(event_entities.c.time <= query.until)
            if after is not None:
                statement = statement.where(
                    or_(
                        event_entities.c.time < after[0],
                        and_(event_entities.c.time == after[0], event_entities.c.event_id < after[1]),
                    )
                )
            statement = statement.order_by(event_entities.c.time.desc(), event_entities.c.event_id.desc())
            page.extend((float(row[0]), int(row[1])) for row in connection.execute(statement.limit(wanted)))
        page = sorted(set(page), reverse=True)[:wanted]
        if not page:
            break
        candidates = [event_id for _, event_id in page if event_id not in seen]
        seen.update(candidates)
        if filtered and candidates:
            kept = set()
            for start in range(0, len(candidates), _IN_CHUNK):
                chunk = candidates[start : start + _IN_CHUNK]
                kept |= set(
                    connection.execute(
                        select(events.c.id).where(
                            events.c.id.in_(chunk),
                            *_event_conditions(Query(types=query.types, environments=query.environments)),
                        )
                    ).scalars()
                )
            candidates = [event_id for event_id in candidates if event_id in kept]
        found.extend(candidates)
        if len(page) < wanted:
            break
        after = page[-1]
    return found[:limit]


def _answers(connection: Connection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    refs: dict[int, list[str]] = {row.id: [] for row in rows}
    ids = list(refs)
    for start in range(0, len(ids), _IN_CHUNK):
        for ref, event_id in connection.execute(
            select(event_entities.c.entity_ref, event_entities.c.event_id)
            .where(event_entities.c.event_id.in_(ids[start : start + _IN_CHUNK]))
            .order_by(event_entities.c.entity_ref)
        ):
            refs[event_id].append(ref)
    return [answer(row, refs[row.id]) for row in rows]


def answer(row: Any, refs: Sequence[str]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "type": row.type,
        "title": row.title,
        "time": iso(row.time),
        "entityRefs": list(refs),
        "environment": row.environment or None,
        "market": row.market or None,
        "cluster": row.cluster or None,
        "version": row.version or None,
        "url": row.url or None,
        "actor": row.actor or None,
        "source": row.source,
        "externalId": row.external_id,
        "attributes": orjson.loads(row.attributes),
        "receivedAt": iso(row.received_at),
        "unmatched": row.unmatched,
    }


def one(database: PluginDatabase, event_id: int) -> dict[str, Any] | None:
    with database.connect() as connection:
        row = connection.execute(select(events).where(events.c.id == event_id)).first()
        return _answers(connection, [row])[0] if row is not None else None


def newer_than(database: PluginDatabase, last_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """Events stored after ``last_id`` (ids grow as events arrive), oldest first: what a live stream sends."""
    with database.connect() as connection:
        rows = list(connection.execute(select(events).where(events.c.id > last_id).order_by(events.c.id).limit(limit)))
        return _answers(connection, rows)


def last_id(database: PluginDatabase) -> int:
    with database.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())


def has_pending(database: PluginDatabase) -> bool:
    with database.connect() as connection:
        return connection.execute(select(pending_keys.c.event_id).limit(1)).first() is not None


def pending_for(database: PluginDatabase, keys: Iterable[str]) -> list[tuple[str, int]]:
    """(match key, event id) of unmatched events that name one of ``keys``."""
    wanted = sorted(set(keys))
    found: list[tuple[str, int]] = []
    with database.connect() as connection:
        for start in range(0, len(wanted), _IN_CHUNK):
            found.extend(
                (str(row[0]), int(row[1]))
                for row in connection.execute(
                    select(pending_keys.c.match_key, pending_keys.c.event_id).where(
                        pending_keys.c.match_key.in_(wanted[start : start + _IN_CHUNK])
                    )
                )
            )
    return found


def attach(database: PluginDatabase, matched: Mapping[int, Sequence[str]]) -> int:
    """Give unmatched events the entities found for them since; returns how many events were matched."""
    if not matched:
        return 0
    with database.transaction() as connection:
        times = {
            int(row[0]): float(row[1])
            for row in connection.execute(select(events.c.id, events.c.time).where(events.c.id.in_(list(matched))))
        }
        rows = [
            {"entity_ref": ref, "time": times[event_id], "event_id": event_id}
            for event_id, refs in matched.items()
            if event_id in times
            for ref in sorted(set(refs))
        ]
        if rows:
            connection.execute(insert(event_entities), rows)
        ids = list(times)
        connection.execute(update(events).where(events.c.id.in_(ids)).values(unmatched=None))
        connection.execute(delete(pending_keys).where(pending_keys.c.event_id.in_(ids)))
        return len(ids)


def expire(database: PluginDatabase, cutoffs: Mapping[str | None, float], max_per_type: int | None) -> int:
    """Delete events older than their type's cutoff (key None: every other type), and past ``max_per_type``."""
    removed = 0
    with database.transaction() as connection:
        named = [kind for kind in cutoffs if kind is not None]
        for kind, cutoff in cutoffs.items():
            condition = events.c.time < cutoff
            condition = and_(condition, events.c.type == kind) if kind else and_(condition, events.c.type.not_in(named))
            removed += _delete_where(connection, condition)
        if max_per_type is not None:
            for (kind,) in connection.execute(select(events.c.type).distinct()).all():
                edge = connection.execute(
                    select(events.c.time)
                    .where(events.c.type == kind)
                    .order_by(events.c.time.desc())
                    .offset(max_per_type)
                    .limit(1)
                ).scalar()
                if edge is not None:
                    removed += _delete_where(connection, and_(events.c.type == kind, events.c.time <= edge))
    return removed


def _delete_where(connection: Connection, condition: Any) -> int:
    doomed = select(events.c.id).where(condition)
    connection.execute(delete(event_entities).where(event_entities.c.event_id.in_(doomed)))
    connection.execute(delete(pending_keys).where(pending_keys.c.event_id.in_(doomed)))
    return int(connection.execute(delete(events).where(condition)).rowcount or 0)
