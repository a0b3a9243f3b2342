"""SQL of the processing side: claiming work with leases, writing results, references, stitching, deletion.

Every write happens inside the caller's transaction, so a batch either lands whole or not at all.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, insert, or_, select, update

from callboard.catalog.processing import ChildEntity, Outcome
from callboard.catalog.stitching import canonical_json, search_rows, status_items, stitch
from callboard.storage.tables import (
    final_entities,
    refresh_state,
    refresh_state_references,
    relations,
    search,
)

CHUNK = 500


@dataclass(frozen=True, slots=True)
class ClaimedItem:
    entity_id: str
    entity_ref: str
    unprocessed: dict[str, Any]
    cache: dict[str, Any]
    unprocessed_hash: str
    has_result: bool


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- work items ---------------------------------------------------------------------------------------------


def claim_due(
    connection: Connection, owner: str, limit: int, lease_seconds: float, *, postgres: bool
) -> list[ClaimedItem]:
    """Lease up to ``limit`` due items to ``owner``; an expired lease (a dead worker's) can be taken over."""
    now = time.time()
    due = and_(
        refresh_state.c.next_update_at <= now,
        or_(refresh_state.c.lease_until.is_(None), refresh_state.c.lease_until < now),
    )
    candidates = select(refresh_state.c.entity_id).where(due).order_by(refresh_state.c.next_update_at).limit(limit)
    if postgres:
        candidates = candidates.with_for_update(skip_locked=True)
    ids = [row[0] for row in connection.execute(candidates)]
    if not ids:
        return []
    lease = {"lease_owner": owner, "lease_until": now + lease_seconds}
    claimed = []
    for chunk in _chunks(ids):
        # The due condition is repeated so that, on SQLite, a row taken by another process in between is skipped.
        statement = (
            update(refresh_state)
            .where(refresh_state.c.entity_id.in_(chunk), due)
            .values(**lease)
            .returning(
                refresh_state.c.entity_id,
                refresh_state.c.entity_ref,
                refresh_state.c.unprocessed_entity,
                refresh_state.c.cache,
                refresh_state.c.unprocessed_hash,
                refresh_state.c.processed_entity.is_not(None),
            )
        )
        for row in connection.execute(statement):
            claimed.append(
                ClaimedItem(row[0], row[1], json.loads(row[2]), json.loads(row[3]) if row[3] else {}, row[4], row[5])
            )
    return claimed


def _error_json(outcome: Outcome) -> str | None:
    items = [{"name": e.name, "message": e.message, "blocking": True} for e in outcome.errors] + [
        {"name": e.name, "message": e.message, "blocking": False} for e in outcome.notices
    ]
    return json.dumps(items) if items else None


def write_outcomes(
    connection: Connection,
    claimed: dict[str, ClaimedItem],
    outcomes: Sequence[Outcome],
    *,
    interval: float,
    owner: str,
) -> set[str]:
    """Persist a batch of outcomes; return the entity refs whose final entities may have changed."""
    now = time.time()
    dirty: set[str] = set()
    for outcome in outcomes:
        item = claimed[outcome.entity_ref]
        values: dict[str, Any] = {
            "errors": _error_json(outcome),
            "cache": json.dumps(outcome.cache),
            # If a parent re-emitted this entity with new content meanwhile, it stays due.
            "next_update_at": case(
                (refresh_state.c.unprocessed_hash == item.unprocessed_hash, now + interval),
                else_=refresh_state.c.next_update_at,
            ),
            "lease_owner": None,
            "lease_until": None,
        }
        if outcome.ok and outcome.processed is not None:
            values["processed_entity"] = canonical_json(outcome.processed)
            values["result_hash"] = item.unprocessed_hash
        updated = connection.execute(
            update(refresh_state)
            .where(refresh_state.c.entity_id == item.entity_id, refresh_state.c.lease_owner == owner)
            .values(**values)
        ).rowcount
        if not updated:
            continue  # our lease ran out and another worker took the item; its result wins
        dirty.add(item.entity_ref)
        if not (outcome.ok and outcome.processed is not None):
            continue
        old_targets = {
            row[0]
            for row in connection.execute(
                select(relations.c.target_entity_ref).where(relations.c.originating_entity_id == item.entity_id)
            )
        }
        connection.execute(delete(relations).where(relations.c.originating_entity_id == item.entity_id))
        rows = []
        for relation_type, target, reverse in outcome.relations:
            rows.append(
                {
                    "originating_entity_id": item.entity_id,
                    "source_entity_ref": item.entity_ref,
                    "type": relation_type,
                    "target_entity_ref": target,
                }
            )
            rows.append(
                {
                    "originating_entity_id": item.entity_id,
                    "source_entity_ref": target,
                    "type": reverse,
                    "target_entity_ref": item.entity_ref,
                }
            )
        if rows:
            connection.execute(insert(relations), rows)
        dirty |= old_targets | {target for _, target, _ in outcome.relations}
        if outcome.children is not None:
            dirty |= _write_children(connection, item, outcome, now)
    return dirty


def _write_children(connection: Connection, parent: ClaimedItem, outcome: Outcome, now: float) -> set[str]:
    children: list[ChildEntity] = outcome.children or []
    previous = {
        row[0]
        for row in connection.execute(
            select(refresh_state_references.c.target_entity_ref).where(
                refresh_state_references.c.source_entity_ref == parent.entity_ref
            )
        )
    }
    existing: dict[str, tuple[str | None, str]] = {}
    refs = [child.entity_ref for child in children]
    for chunk in _chunks(refs):
        for row in connection.execute(
            select(refresh_state.c.entity_ref, refresh_state.c.location_key, refresh_state.c.unprocessed_hash).where(
                refresh_state.c.entity_ref.in_(chunk)
            )
        ):
            existing[row[0]] = (row[1], row[2])
    inserts: list[dict[str, Any]] = []
    kept: list[str] = []
    for child in children:
        if child.entity_ref in existing:
            owner_key, old_hash = existing[child.entity_ref]
            if owner_key is not None and owner_key != child.location_key:
                outcome.notices.append(_conflict(child, owner_key))
                continue
            if old_hash != child.unprocessed_hash:
                connection.execute(
                    update(refresh_state)
                    .where(refresh_state.c.entity_ref == child.entity_ref)
                    .values(
                        unprocessed_entity=canonical_json(child.entity),
                        unprocessed_hash=child.unprocessed_hash,
                        location_key=child.location_key,
                        next_update_at=now,
                        last_discovery_at=now,
                    )
                )
        elif child.entity_ref not in {row["entity_ref"] for row in inserts}:
            inserts.append(_new_row(child, now))
        else:
            continue
        kept.append(child.entity_ref)
    if inserts:
        connection.execute(insert(refresh_state), inserts)
    if outcome.notices:
        connection.execute(
            update(refresh_state)
            .where(refresh_state.c.entity_ref == parent.entity_ref)
            .values(errors=_error_json(outcome))
        )
    connection.execute(
        delete(refresh_state_references).where(refresh_state_references.c.source_entity_ref == parent.entity_ref)
    )
    if kept:
        connection.execute(
            insert(refresh_state_references),
            [{"source_entity_ref": parent.entity_ref, "target_entity_ref": ref} for ref in kept],
        )
    # Children that appeared or disappeared change orphan state; re-stitch them.
    return previous ^ set(kept)


def _conflict(child: ChildEntity, owner_key: str) -> Any:
    from callboard.catalog.pipeline import ProcessingError  # noqa: PLC0415 - avoids a cycle at import time

    return ProcessingError(
        "ConflictError",
        f"Detected conflicting entityRef {child.entity_ref} already referenced by {owner_key} "
        f"and now also {child.location_key}",
        (),
        "Remove the duplicate descriptor, or unregister one of the two locations.",
    )


def _new_row(child: ChildEntity, now: float) -> dict[str, Any]:
    return {
        "entity_id": str(uuid.uuid4()),
        "entity_ref": child.entity_ref,
        "unprocessed_entity": canonical_json(child.entity),
        "unprocessed_hash": child.unprocessed_hash,
        "location_key": child.location_key,
        "next_update_at": now,
        "last_discovery_at": now,
    }


def release(connection: Connection, owner: str) -> None:
    connection.execute(
        update(refresh_state).where(refresh_state.c.lease_owner == owner).values(lease_owner=None, lease_until=None)
    )


# -- stitching ----------------------------------------------------------------------------------------------


def stitch_entities(connection: Connection, refs: Iterable[str]) -> int:
    """Recompute the final entities of ``refs``; write only those whose hash changed. Returns that count."""
    written = 0
    for chunk in _chunks(sorted(set(refs))):
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
        finals: list[dict[str, Any]] = []
        search_inserts: list[dict[str, Any]] = []
        changed_ids: list[str] = []
        now = time.time()
        for ref, state in states.items():
            if state.processed_entity is None:
                continue
            errors = json.loads(state.errors or "[]")
            final, digest = stitch(
                json.loads(state.processed_entity),
                entity_id=state.entity_id,
                relations=by_source.get(ref, []),
                status_items=status_items(errors),
                orphan=ref not in kept_alive,
            )
            if hashes.get(ref) == digest:
                continue
            changed_ids.append(state.entity_id)
            finals.append(
                {
                    "entity_id": state.entity_id,
                    "entity_ref": ref,
                    "hash": digest,
                    "final_entity": canonical_json(final),
                    "kind": str(final.get("kind", "")).lower(),
                    "last_updated_at": now,
                }
            )
            search_inserts.extend(
                {"entity_id": state.entity_id, "key": key, "original_value": original, "value": value}
                for key, original, value in search_rows(final)
            )
        if not finals:
            continue
        connection.execute(delete(final_entities).where(final_entities.c.entity_id.in_(changed_ids)))
        connection.execute(delete(search).where(search.c.entity_id.in_(changed_ids)))
        connection.execute(insert(final_entities), finals)
        if search_inserts:
            connection.execute(insert(search), search_inserts)
        written += len(finals)
    return written


# -- providers and deletion ---------------------------------------------------------------------------------


def apply_provider_entities(connection: Connection, provider_key: str, children: Sequence[ChildEntity]) -> set[str]:
    """Replace what ``provider_key`` keeps alive with ``children`` (Backstage's full mutation)."""
    now = time.time()
    previous = {
        row[0]
        for row in connection.execute(
            select(refresh_state_references.c.target_entity_ref).where(
                refresh_state_references.c.source_key == provider_key
            )
        )
    }
    wanted = {child.entity_ref: child for child in children}
    existing = {
        row[0]: row[1]
        for row in connection.execute(
            select(refresh_state.c.entity_ref, refresh_state.c.unprocessed_hash).where(
                refresh_state.c.entity_ref.in_(list(wanted))
            )
        )
    }
    for ref, child in wanted.items():
        if ref not in existing:
            connection.execute(insert(refresh_state), [_new_row(child, now)])
        elif existing[ref] != child.unprocessed_hash:
            connection.execute(
                update(refresh_state)
                .where(refresh_state.c.entity_ref == ref)
                .values(
                    unprocessed_entity=canonical_json(child.entity),
                    unprocessed_hash=child.unprocessed_hash,
                    next_update_at=now,
                )
            )
    connection.execute(delete(refresh_state_references).where(refresh_state_references.c.source_key == provider_key))
    if wanted:
        connection.execute(
            insert(refresh_state_references),
            [{"source_key": provider_key, "target_entity_ref": ref} for ref in wanted],
        )
    removed = previous - set(wanted)
    deleted = delete_unreferenced(connection, removed) if removed else set()
    return (set(wanted) - previous) | (removed - deleted)


def delete_unreferenced(connection: Connection, refs: Iterable[str]) -> set[str]:
    """Eagerly delete ``refs`` and every descendant that nothing else keeps alive; return the deleted refs."""
    deleted: set[str] = set()
    frontier = set(refs)
    while frontier:
        candidates = sorted(frontier - deleted)
        frontier = set()
        alive = set()
        for chunk in _chunks(candidates):
            alive |= {
                row[0]
                for row in connection.execute(
                    select(refresh_state_references.c.target_entity_ref).where(
                        refresh_state_references.c.target_entity_ref.in_(chunk)
                    )
                )
            }
        doomed = [ref for ref in candidates if ref not in alive]
        if not doomed:
            break
        for chunk in _chunks(doomed):
            children = {
                row[0]
                for row in connection.execute(
                    select(refresh_state_references.c.target_entity_ref).where(
                        refresh_state_references.c.source_entity_ref.in_(chunk)
                    )
                )
            }
            delete_entities(connection, chunk)
            frontier |= children
        deleted |= set(doomed)
    return deleted


def delete_entities(connection: Connection, refs: Sequence[str]) -> set[str]:
    """Remove entities and everything hanging off them; return the refs whose relations pointed at them."""
    ids = [
        row[0]
        for row in connection.execute(select(refresh_state.c.entity_id).where(refresh_state.c.entity_ref.in_(refs)))
    ]
    neighbours = {
        row[0]
        for row in connection.execute(
            select(relations.c.target_entity_ref).where(relations.c.originating_entity_id.in_(ids))
        )
    }
    connection.execute(delete(relations).where(relations.c.originating_entity_id.in_(ids)))
    # Parents must read their files again (not skip them as unchanged) so that a live entity comes back.
    parents = select(refresh_state_references.c.source_entity_ref).where(
        refresh_state_references.c.target_entity_ref.in_(refs)
    )
    connection.execute(update(refresh_state).where(refresh_state.c.entity_ref.in_(parents)).values(cache=None))
    connection.execute(
        delete(refresh_state_references).where(
            or_(
                refresh_state_references.c.source_entity_ref.in_(refs),
                refresh_state_references.c.target_entity_ref.in_(refs),
            )
        )
    )
    connection.execute(delete(search).where(search.c.entity_id.in_(ids)))
    connection.execute(delete(final_entities).where(final_entities.c.entity_id.in_(ids)))
    connection.execute(delete(refresh_state).where(refresh_state.c.entity_id.in_(ids)))
    return neighbours - set(refs)


def orphan_refs(connection: Connection, limit: int = 1000) -> list[str]:
    """Entities nothing keeps alive (not provider roots, no parent)."""
    referenced = select(refresh_state_references.c.target_entity_ref)
    statement = select(refresh_state.c.entity_ref).where(refresh_state.c.entity_ref.not_in(referenced)).limit(limit)
    return [row[0] for row in connection.execute(statement)]


def schedule_now(connection: Connection, refs: Sequence[str]) -> int:
    return connection.execute(
        update(refresh_state).where(refresh_state.c.entity_ref.in_(refs)).values(next_update_at=0.0)
    ).rowcount


def pending_count(connection: Connection) -> int:
    now = time.time()
    statement = select(func.count()).select_from(refresh_state).where(refresh_state.c.next_update_at <= now)
    return int(connection.execute(statement).scalar_one())
