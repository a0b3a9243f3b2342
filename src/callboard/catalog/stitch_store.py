"""SQL of stitching: final entities and their filter-index rows, and the queue of deferred stitches."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import Connection, delete, select, update

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
    """Queue entities for deferred stitching (their relations changed because of other entities)."""
    now = time.time()
    bulk_insert(
        connection, "stitch_queue", ("entity_ref", "queued_at"), [(ref, now) for ref in refs], ignore_conflicts=True
    )


def stitch_queued(connection: Connection, limit: int, *, postgres: bool) -> int:
    """Stitch up to ``limit`` queued entities and take them off the queue; return how many were taken."""
    statement = select(stitch_queue.c.entity_ref).order_by(stitch_queue.c.queued_at).limit(limit)
    if postgres:
        statement = statement.with_for_update(skip_locked=True)
    refs = [row[0] for row in connection.execute(statement)]
    if not refs:
        return 0
    stitch_entities(connection, refs)
    for chunk in chunks(refs):
        connection.execute(delete(stitch_queue).where(stitch_queue.c.entity_ref.in_(chunk)))
    return len(refs)


def stitch_entities(connection: Connection, refs: Iterable[str]) -> int:
    """Recompute the final entities of ``refs``; write only those whose hash changed. Returns that count."""
    written = 0
    for chunk in chunks(sorted(set(refs))):
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
        finals: list[tuple[str, str, str, str, str, float]] = []
        search_inserts: list[tuple[str, str, str | None, str | None, str]] = []
        changed_ids: list[str] = []
        now = time.time()
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
            changed_ids.append(state.entity_id)
            kind = str(final.get("kind", "")).lower()
            finals.append((state.entity_id, ref, digest, canonical_json(final), kind, now))
            entity_id = state.entity_id
            search_inserts.extend(
                (entity_id, key, original, value, kind) for key, original, value in search_rows(final)
            )
        if not finals:
            continue
        connection.execute(delete(final_entities).where(final_entities.c.entity_id.in_(changed_ids)))
        connection.execute(delete(search).where(search.c.entity_id.in_(changed_ids)))
        bulk_insert(
            connection,
            "final_entities",
            ("entity_id", "entity_ref", "hash", "final_entity", "kind", "last_updated_at"),
            finals,
        )
        bulk_insert(connection, "search", ("entity_id", "key", "original_value", "value", "kind"), search_inserts)
        note(connection, ENTITY_CHANGED, (final[1] for final in finals))
        written += len(finals)
    if written:
        raise_generation(connection)
    return written
