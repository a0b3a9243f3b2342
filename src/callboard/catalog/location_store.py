"""SQL of the catalog's registered locations: listed, found by id or by type and target, added, moved, removed,
and the static ones (from config) replaced as a set."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, literal, select, update

from callboard.catalog.providers import location_entity_ref
from callboard.storage.tables import locations

_LOCATION = (locations.c.id, locations.c.type, locations.c.target, locations.c.entity_ref)


def _location(row: Any) -> dict[str, str]:
    """A location as Backstage answers it: id, type, target and its Location entity's ref."""
    return {"id": row[0], "type": row[1], "target": row[2], "entityRef": row[3] or location_entity_ref(row[1], row[2])}


def list_locations(connection: Connection) -> list[dict[str, str]]:
    statement = select(*_LOCATION).order_by(locations.c.created_at)
    return [_location(row) for row in connection.execute(statement)]


def location_by_id(connection: Connection, location_id: str) -> dict[str, Any] | None:
    row = connection.execute(select(*_LOCATION, locations.c.static).where(locations.c.id == location_id)).first()
    return None if row is None else {**_location(row), "static": bool(row[4])}


def move_location(connection: Connection, location_id: str, location_type: str, target: str) -> None:
    """Point a location at another target; its Location entity keeps its ref."""
    connection.execute(update(locations).where(locations.c.id == location_id).values(type=location_type, target=target))


def location_by_spec(connection: Connection, location_type: str, target: str) -> dict[str, str] | None:
    row = connection.execute(
        select(*_LOCATION).where(locations.c.type == location_type, locations.c.target == target)
    ).first()
    return None if row is None else _location(row)


def add_location(connection: Connection, location_type: str, target: str, *, static: bool = False) -> dict[str, str]:
    location_id = str(uuid.uuid4())
    entity_ref = location_entity_ref(location_type, target)
    connection.execute(
        insert(locations).values(
            id=location_id,
            type=location_type,
            target=target,
            static=static,
            created_at=time.time(),
            entity_ref=entity_ref,
        )
    )
    return {"id": location_id, "type": location_type, "target": target, "entityRef": entity_ref}


def remove_location(connection: Connection, location_id: str) -> None:
    connection.execute(delete(locations).where(locations.c.id == location_id))


def api_locations(connection: Connection, *, static: bool) -> list[dict[str, str]]:
    """The static (app-config) or the registered locations."""
    return [_location(row) for row in connection.execute(select(*_LOCATION).where(locations.c.static == static))]


def replace_static_locations(connection: Connection, wanted: Sequence[tuple[str, str]]) -> None:
    """Mirror ``catalog.locations`` into the table so that they are listed (and protected from deletion)."""
    existing = {
        (row[0], row[1]): row[2]
        for row in connection.execute(
            select(locations.c.type, locations.c.target, locations.c.id).where(locations.c.static == literal(True))
        )
    }
    for spec, location_id in existing.items():
        if spec not in wanted:
            connection.execute(delete(locations).where(locations.c.id == location_id))
    for location_type, target in wanted:
        if (location_type, target) in existing:
            continue
        clash = location_by_spec(connection, location_type, target)
        if clash is not None:
            connection.execute(delete(locations).where(locations.c.id == clash["id"]))
        add_location(connection, location_type, target, static=True)
