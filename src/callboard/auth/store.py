"""SQL of identity and audit: the shared signing key, audit rows written and read."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from callboard.storage.tables import audit_log, auth_keys


def signing_key(connection: Connection, create: Any) -> tuple[str, str]:
    """The newest signing key as (kid, private PEM); ``create()`` makes one when there is none.

    Replicas starting together may both create one; the primary key keeps one of them per kid, and every
    replica then uses the newest.
    """
    row = connection.execute(
        select(auth_keys.c.kid, auth_keys.c.private_pem).order_by(auth_keys.c.created_at.desc()).limit(1)
    ).first()
    if row is not None:
        return row[0], row[1]
    kid, pem = create()
    try:
        with connection.begin_nested():
            connection.execute(insert(auth_keys).values(kid=kid, private_pem=pem, created_at=time.time()))
    except IntegrityError:
        pass
    row = connection.execute(
        select(auth_keys.c.kid, auth_keys.c.private_pem).order_by(auth_keys.c.created_at.desc()).limit(1)
    ).first()
    assert row is not None
    return row[0], row[1]


def all_keys(connection: Connection) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in connection.execute(select(auth_keys.c.kid, auth_keys.c.private_pem))]


def write_audit(connection: Connection, entry: dict[str, Any]) -> None:
    values = {**entry, "details": json.dumps(entry["details"]) if entry.get("details") is not None else None}
    connection.execute(insert(audit_log).values(**values))


def read_audit(
    connection: Connection,
    *,
    actor: str | None = None,
    actions: Sequence[str] = (),
    since: float | None = None,
    until: float | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    statement = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
    if actor:
        statement = statement.where(audit_log.c.actor == actor)
    if actions:
        statement = statement.where(audit_log.c.action.in_(actions))
    if since is not None:
        statement = statement.where(audit_log.c.at >= since)
    if until is not None:
        statement = statement.where(audit_log.c.at < until)
    rows = []
    for row in connection.execute(statement).mappings():
        item = dict(row)
        item["details"] = json.loads(item["details"]) if item["details"] else None
        rows.append(item)
    return rows
