"""SQL of stitching: final entities and their filter-index rows, and the queue of deferred stitches."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, select, tuple_, update

from callboard.catalog.stitching import canonical_json, load_json, search_rows, status_items, stitch
from callboard.catalog.topics import ENTITY_CHANGED
from callboard.storage.db import bulk_insert, chunks, note
from callboard.storage.tables import (
    catalog_generation,
    final_entities,
    refresh_state,
    refresh_state_references,
    relations,
    search,
    stitch_queue,
)


def raise_generation(connection: Connection) -> None:
    """Mark that this transaction changed the final entities (``query_store.generation`` reads the mark).

    Called once per write of final entities, after it: on PostgreSQL the row stays locked until the commit,
    so concurrent writers wait for each other only from there on, not for the whole of their work.
    """
    connection.execute(
        update(catalog_generation).where(catalog_generation.c.id == 1).values(value=catalog_generation.c.value + 1)
    )


def enqueue_stitch(connection: Connection, refs: Iterable[str]) -> None:
    """Queue entities for deferred stitching (their relations changed because of other entities).

    An entity already queued gets the new time: a stitch planned from what it was before then leaves it queued
    (``apply_stitch``), so a change that arrives while its entity is being stitched is never lost.
    """
    now = time.time()
    bulk_insert(
        connection,
        "stitch_queue",
        ("entity_ref", "queued_at"),
        [(ref, now) for ref in refs],
        update_on_conflict=("entity_ref", "queued_at"),
    )


#: Where a walk through the queue got to: (queued_at, entity_ref) of the last entity taken.
QueueKey = tuple[float, str]


def queued_count(connection: Connection) -> int:
    """Entities waiting to be stitched."""
    return int(connection.execute(select(func.count()).select_from(stitch_queue)).scalar_one())


def next_queued(
    connection: Connection, limit: int, after: QueueKey | None = None, *, unseen_only: bool = False
) -> dict[str, float]:
    """Up to ``limit`` queued entities after ``after``, in queue order, with the time each was queued.

    ``unseen_only`` takes only entities that have no final entity yet (the API does not serve them).
    """
    statement = select(stitch_queue.c.entity_ref, stitch_queue.c.queued_at)
    if unseen_only:
        served = select(final_entities.c.entity_ref).where(final_entities.c.entity_ref == stitch_queue.c.entity_ref)
        statement = statement.where(~served.exists())
    if after is not None:
        statement = statement.where(tuple_(stitch_queue.c.queued_at, stitch_queue.c.entity_ref) > tuple_(*after))
    statement = statement.order_by(stitch_queue.c.queued_at, stitch_queue.c.entity_ref).limit(limit)
    return {row[0]: row[1] for row in connection.execute(statement)}


@dataclass
class StitchPlan:
    """Final entities computed from what was read, ready to be written (``apply_stitch``)."""

    refs: list[str]
    finals: list[tuple[str, str, str, str, str, float]] = field(default_factory=list)
    #: Filter-index rows to insert: (entity_id, key, original_value, value, kind).
    search_rows: list[tuple[str, str, str | None, str | None, str]] = field(default_factory=list)
    #: Entities stitched for the first time (or whose kind changed): all their filter rows are replaced.
    fresh_ids: list[str] = field(default_factory=list)
    #: Filter rows that are no longer true of a re-stitched entity: (entity_id, key, value).
    search_removed: list[tuple[str, str, str | None]] = field(default_factory=list)
    #: Taken from the queue: ref → the time it was queued when read.
    queued: dict[str, float] = field(default_factory=dict)


def stitch_entities(connection: Connection, refs: Iterable[str]) -> int:
    """Recompute the final entities of ``refs``; write only those whose hash changed. Returns that count."""
    return apply_stitch(connection, plan_stitch(connection, refs))


def plan_stitch(connection: Connection, refs: Iterable[str], *, queued: dict[str, float] | None = None) -> StitchPlan:
    """Read what the final entities of ``refs`` are made of and compute them (those whose hash changed).

    Reading and writing are apart so that the engine computes the next queued entities while the database
    writes the ones before: planned entities of one walk through the queue are distinct, and nothing a plan
    reads is changed by another plan's writes.
    """
    plan = StitchPlan(sorted(set(refs)), queued=dict(queued or {}))
    now = time.time()
    for chunk in chunks(plan.refs):
        states = {
            row.entity_ref: row
            for row in connection.execute(
                select(
                    refresh_state.c.entity_id,
                    refresh_state.c.entity_ref,
                    refresh_state.c.processed_entity,
                    refresh_state.c.errors,
                ).where(refresh_state.c.entity_ref.in_(chunk))
            )
        }
        if not states:
            continue
        wanted = list(states)
        by_source: dict[str, list[tuple[str, str]]] = {ref: [] for ref in wanted}
        for row in connection.execute(
            select(relations.c.source_entity_ref, relations.c.type, relations.c.target_entity_ref).where(
                relations.c.source_entity_ref.in_(wanted)
            )
        ):
            by_source[row[0]].append((row[1], row[2]))
        kept_alive = {
            row[0]
            for row in connection.execute(
                select(refresh_state_references.c.target_entity_ref)
                .where(refresh_state_references.c.target_entity_ref.in_(wanted))
                .distinct()
            )
        }
        hashes = {
            row[0]: row[1]
            for row in connection.execute(
                select(final_entities.c.entity_ref, final_entities.c.hash).where(
                    final_entities.c.entity_ref.in_(wanted)
                )
            )
        }
        computed: list[tuple[str, str, str, dict[str, Any]]] = []
        for ref, state in states.items():
            if state.processed_entity is None:
                continue
            errors = load_json(state.errors) if state.errors else []
            final, digest = stitch(
                load_json(state.processed_entity),
                entity_id=state.entity_id,
                relations=by_source.get(ref, []),
                status_items=status_items(errors),
                orphan=ref not in kept_alive,
            )
            if hashes.get(ref) == digest:
                continue
            kind = str(final.get("kind", "")).lower()
            plan.finals.append((state.entity_id, ref, digest, canonical_json(final), kind, now))
            computed.append((state.entity_id, ref, kind, final))
        _plan_search_rows(connection, plan, computed, restitched=set(hashes))
    return plan


def _plan_search_rows(
    connection: Connection,
    plan: StitchPlan,
    computed: list[tuple[str, str, str, dict[str, Any]]],
    *,
    restitched: set[str],
) -> None:
    """Add to ``plan`` the filter-index rows that change: all of a new entity's, only the difference otherwise.

    Re-stitching is mostly one more relation (a group gains a member, a system a component): rewriting every
    row of the entity each time made a group of thousands of members cost thousands of rows per member, and
    on PostgreSQL left that many dead rows behind (a million-entity ingestion slowed to 90 entities/s).
    """
    before: dict[str, set[tuple[str, str | None, str | None, str | None]]] = {}
    again = [entity_id for entity_id, ref, *_ in computed if ref in restitched]
    for chunk in chunks(again):
        for row in connection.execute(
            select(search.c.entity_id, search.c.key, search.c.original_value, search.c.value, search.c.kind).where(
                search.c.entity_id.in_(chunk)
            )
        ):
            before.setdefault(row[0], set()).add((row[1], row[2], row[3], row[4]))
    for entity_id, ref, kind, final in computed:
        rows = {(key, original, value, kind) for key, original, value in search_rows(final)}
        old = before.get(entity_id) if ref in restitched else None
        if not old or any(row[3] != kind for row in old):
            plan.fresh_ids.append(entity_id)
            plan.search_rows.extend((entity_id, key, original, value, kind) for key, original, value, _ in rows)
            continue
        plan.search_removed.extend((entity_id, key, value) for key, _original, value, _ in old - rows)
        plan.search_rows.extend((entity_id, key, original, value, kind) for key, original, value, _ in rows - old)


def apply_stitch(connection: Connection, plan: StitchPlan, *, postgres: bool = False) -> int:
    """Write a plan's final entities and take its queued entities off the queue; return how many were written.

    A queued entity is written only if it is still queued as the plan read it. One queued again since (its
    data changed meanwhile) stays queued and is stitched again; one another worker took (on PostgreSQL, a
    row it holds) or finished is left to it.
    """
    finals, search_inserts = plan.finals, plan.search_rows
    fresh_ids, removed = plan.fresh_ids, plan.search_removed
    if plan.queued:
        ours: set[str] = set()
        for chunk in chunks(list(plan.queued)):
            statement = select(stitch_queue.c.entity_ref, stitch_queue.c.queued_at).where(
                stitch_queue.c.entity_ref.in_(chunk)
            )
            if postgres:
                statement = statement.with_for_update(skip_locked=True)
            ours |= {row[0] for row in connection.execute(statement) if row[1] == plan.queued[row[0]]}
        for chunk in chunks(sorted(ours)):
            connection.execute(delete(stitch_queue).where(stitch_queue.c.entity_ref.in_(chunk)))
        if len(ours) < len(plan.queued):
            finals = [final for final in finals if final[1] in ours]
            kept_ids = {final[0] for final in finals}
            search_inserts = [row for row in search_inserts if row[0] in kept_ids]
            fresh_ids = [entity_id for entity_id in fresh_ids if entity_id in kept_ids]
            removed = [row for row in removed if row[0] in kept_ids]
    if not finals:
        return 0
    for chunk in chunks([final[0] for final in finals]):
        connection.execute(delete(final_entities).where(final_entities.c.entity_id.in_(chunk)))
    for chunk in chunks(fresh_ids):
        connection.execute(delete(search).where(search.c.entity_id.in_(chunk)))
    _delete_search_rows(connection, removed)
    bulk_insert(
        connection,
        "final_entities",
        ("entity_id", "entity_ref", "hash", "final_entity", "kind", "last_updated_at"),
        finals,
    )
    bulk_insert(connection, "search", ("entity_id", "key", "original_value", "value", "kind"), search_inserts)
    note(connection, ENTITY_CHANGED, (final[1] for final in finals))
    raise_generation(connection)
    return len(finals)


def _delete_search_rows(connection: Connection, rows: list[tuple[str, str, str | None]]) -> None:
    """Delete filter rows by (entity_id, key, value); an entity has at most one row per key and value."""
    if connection.dialect.name == "sqlite":
        # SQLite does not look a row-value IN list up in an index (EXPLAIN QUERY PLAN: SCAN search): each chunk
        # read the whole filter table. A statement per row goes by the (entity_id, key, value) index instead;
        # ``value IS ?`` matches a missing value too, through the same index.
        if rows:
            connection.exec_driver_sql('DELETE FROM search WHERE entity_id = ? AND "key" = ? AND value IS ?', rows)
        return
    valued = [row for row in rows if row[2] is not None]
    for chunk in chunks(valued, 300):
        connection.execute(delete(search).where(tuple_(search.c.entity_id, search.c.key, search.c.value).in_(chunk)))
    for entity_id, key, _ in (row for row in rows if row[2] is None):
        connection.execute(
            delete(search).where(search.c.entity_id == entity_id, search.c.key == key, search.c.value.is_(None))
        )
