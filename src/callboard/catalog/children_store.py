"""SQL of the items an entity's processing emits: its children (the entities a location's files hold) with
their references from the parent, conflicts between two locations giving the same entity, and new items.
"""

from __future__ import annotations

import itertools
import json
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from callboard.catalog.children import ChildEntity
from callboard.catalog.processing import Outcome
from callboard.storage.db import bulk_insert
from callboard.storage.tables import refresh_state, refresh_state_references

#: Children read back from an outcome's list and written together.
CHUNK = 500


def write_children(connection: Connection, parent_ref: str, outcome: Outcome, now: float) -> set[str]:
    """Make the parent's children what ``outcome`` read, keeping those of targets it did not read afresh.

    Children are written a chunk at a time as they are read back from the outcome's list (a location can
    give a million). Returns the refs whose orphan state may have changed: children that appeared or left,
    except those inserted just now, which have no final entity to re-stitch yet.
    """
    previous: dict[str, str | None] = {
        row[0]: row[1]
        for row in connection.execute(
            select(refresh_state_references.c.target_entity_ref, refresh_state.c.location_key)
            .select_from(refresh_state_references)
            .outerjoin(refresh_state, refresh_state.c.entity_ref == refresh_state_references.c.target_entity_ref)
            .where(refresh_state_references.c.source_entity_ref == parent_ref)
        )
    }
    connection.execute(
        delete(refresh_state_references).where(refresh_state_references.c.source_entity_ref == parent_ref)
    )
    kept: dict[str, str] = {}  # ref → the location key it came from (interned: a few thousand files)
    inserted: set[str] = set()
    for chunk in _batched(outcome.children or (), CHUNK):
        existing: dict[str, tuple[str | None, str]] = {
            row[0]: (row[1], row[2])
            for row in connection.execute(
                select(
                    refresh_state.c.entity_ref, refresh_state.c.location_key, refresh_state.c.unprocessed_hash
                ).where(refresh_state.c.entity_ref.in_({child.entity_ref for child in chunk}))
            )
        }
        inserts: list[tuple[Any, ...]] = []
        changed: list[dict[str, Any]] = []
        listed: list[str] = []
        for child in chunk:
            ref = child.entity_ref
            if ref in kept:
                if kept[ref] != child.location_key:  # two of the parent's files give it: the first stands
                    outcome.notices.append(_conflict(child, kept[ref]))
                continue
            if ref in existing:
                owner_key, old_hash = existing[ref]
                if owner_key is not None and owner_key != child.location_key:
                    outcome.notices.append(_conflict(child, owner_key))
                    continue
                if old_hash != child.unprocessed_hash:
                    changed.append(
                        {"b_ref": ref, "b_text": child.text, "b_hash": child.unprocessed_hash}
                        | {"b_key": child.location_key, "b_now": now}
                    )
            else:
                inserts.append(new_row(child, now))
                inserted.add(ref)
            kept[ref] = sys.intern(child.location_key)
            listed.append(ref)
        if inserts:
            insert_new(connection, inserts)
        if changed:
            connection.execute(_UPDATE_CHILD, changed)
        _insert_references(connection, parent_ref, listed)
    carried = [ref for ref, key in previous.items() if key is not None and key in outcome.keep_keys]
    _insert_references(connection, parent_ref, [ref for ref in carried if ref not in kept])
    alive = kept.keys() | carried
    return (previous.keys() - alive) | (alive - previous.keys() - inserted)


def _insert_references(connection: Connection, parent_ref: str, refs: Sequence[str]) -> None:
    rows = [(parent_ref, ref) for ref in refs]
    bulk_insert(connection, "refresh_state_references", ("source_entity_ref", "target_entity_ref"), rows)


def _batched(items: Iterable[ChildEntity], size: int) -> Iterator[list[ChildEntity]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


_UPDATE_CHILD = (
    update(refresh_state)
    .where(refresh_state.c.entity_ref == bindparam("b_ref"))
    .values(
        unprocessed_entity=bindparam("b_text"),
        unprocessed_hash=bindparam("b_hash"),
        location_key=bindparam("b_key"),
        next_update_at=bindparam("b_now"),
        last_discovery_at=bindparam("b_now"),
    )
)


def _conflict(child: ChildEntity, owner_key: str) -> Any:
    from callboard.catalog.pipeline import ProcessingError  # noqa: PLC0415 - avoids a cycle at import time

    return ProcessingError(
        "ConflictError",
        f"Detected conflicting entityRef {child.entity_ref} already referenced by {owner_key} "
        f"and now also {child.location_key}",
        (),
        "Remove the duplicate descriptor, or unregister one of the two locations.",
    )


_NEW_COLUMNS = (
    "entity_id",
    "cache",
    "entity_ref",
    "unprocessed_entity",
    "unprocessed_hash",
    "location_key",
    "next_update_at",
    "last_discovery_at",
)


def new_row(child: ChildEntity, now: float) -> tuple[Any, ...]:
    """A new item's row, in ``_NEW_COLUMNS`` order."""
    return (
        child.entity_id or str(uuid.uuid4()),
        json.dumps({"imported": True}) if child.imported else None,
        child.entity_ref,
        child.text,
        child.unprocessed_hash,
        child.location_key,
        now,
        now,
    )


def insert_new(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert new items (with ``COPY`` on PostgreSQL: a large location's children are tens of thousands)."""
    bulk_insert(connection, "refresh_state", _NEW_COLUMNS, rows)
