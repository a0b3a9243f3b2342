"""The audit log: who called which proxy endpoint and who changed the catalog, when, and with what result."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from callboard.auth import store
from callboard.core.errors import InputError
from callboard.core.permissions import AUDIT_READ, AccessLike, require
from callboard.storage.db import Database

log = logging.getLogger("callboard.audit")


class AuditLog:
    def __init__(self, database: Database, *, observers: Sequence[Callable[[Mapping[str, Any]], None]] = ()) -> None:
        self._db = database
        #: Told of every entry once it is stored (the portal's metrics count proxied and plugin calls here).
        self.observers = list(observers)

    def record(
        self,
        actor: str,
        action: str,
        target: str,
        *,
        method: str | None = None,
        status: int | None = None,
        size: int | None = None,
        duration_ms: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        entry = {
            "at": time.time(),
            "actor": actor or "anonymous",
            "action": action,
            "target": target,
            "method": method,
            "status": status,
            "bytes": size,
            "duration_ms": None if duration_ms is None else round(duration_ms, 1),
            "details": details,
        }
        with self._db.transaction() as connection:
            store.write_audit(connection, entry)
        for observer in self.observers:
            observer(entry)
        log.info("%s %s %s %s", entry["actor"], action, target, status if status is not None else "")

    def read(
        self,
        access: AccessLike,
        *,
        actor: str | None = None,
        actions: Sequence[str] = (),
        since: float | None = None,
        until: float | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """Entries newest first, for a caller the policy allows ``audit.read`` (never allowed by default)."""
        require(access, AUDIT_READ, "read the audit log")
        with self._db.connect() as connection:
            return store.read_audit(connection, actor=actor, actions=actions, since=since, until=until, limit=limit)


def parse_since(text: str) -> float | None:
    """``30m``, ``6h``, ``7d`` ago, or an ISO date-time; empty for no bound."""
    text = text.strip()
    if not text:
        return None
    units = {"m": 60, "h": 3600, "d": 86400}
    if text[:-1].isdigit() and text[-1] in units:
        return time.time() - int(text[:-1]) * units[text[-1]]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"Cannot read the time {text!r}; write 30m, 6h, 7d or an ISO date such as 2026-11-24T10:00"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
