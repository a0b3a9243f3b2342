"""SQL of the events table: append, read what others wrote after an id, forget old rows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from callboard.storage.tables import events


def append(connection: Connection, topic: str, payload: Mapping[str, Any], origin: str, now: float) -> int:
    result = connection.execute(
        insert(events).values(topic=topic, payload=json.dumps(payload), origin=origin, published_at=now)
    )
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def last_id(connection: Connection) -> int:
    return int(connection.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())


def after(connection: Connection, last: int, origin: str, limit: int = 500) -> list[tuple[int, str, dict[str, Any]]]:
    rows = connection.execute(
        select(events.c.id, events.c.topic, events.c.payload)
        .where(events.c.id > last, events.c.origin != origin)
        .order_by(events.c.id)
        .limit(limit)
    )
    return [(int(row[0]), str(row[1]), json.loads(row[2])) for row in rows]


def forget_before(connection: Connection, when: float) -> int:
    return connection.execute(delete(events).where(events.c.published_at < when)).rowcount
