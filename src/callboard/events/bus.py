"""Publish and subscribe: handlers in this process get an event at once; other replicas read it from the
events table within a second (each replica reads rows written by others, in id order, from its start).

A handler's error is logged with the topic and handler and never stops other handlers or the publisher.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from callboard.core.loops import BackgroundLoop
from callboard.events import store
from callboard.storage.db import Database

log = logging.getLogger(__name__)

Handler = Callable[[str, Mapping[str, Any]], None]

POLL_SECONDS = 1.0
#: Events older than this are deleted; a replica that was down longer misses them (they are notifications,
#: not a log: the catalog itself stays the record).
KEEP_SECONDS = 24 * 3600.0


class EventBus(BackgroundLoop):
    def __init__(self, database: Database, replica: str, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__("callboard-events")
        self._db = database
        self._replica = replica
        self._clock = clock
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()
        with database.connect() as connection:
            self._last = store.last_id(connection)

    def subscribe(self, topic: str, handler: Handler) -> None:
        """``topic`` is exact, or ends in ``.*`` for every topic under a prefix (``catalog.*``)."""
        with self._lock:
            self._handlers[topic].append(handler)

    def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        with self._db.transaction() as connection:
            store.append(connection, topic, payload, self._replica, self._clock())
        self._deliver(topic, payload)

    def poll(self) -> int:
        """Deliver what other replicas published since the last poll; how many events."""
        with self._db.connect() as connection:
            found = store.after(connection, self._last, self._replica)
        for event_id, topic, payload in found:
            self._last = event_id
            self._deliver(topic, payload)
        return len(found)

    def _deliver(self, topic: str, payload: Mapping[str, Any]) -> None:
        with self._lock:
            handlers = [h for pattern, hs in self._handlers.items() if _matches(pattern, topic) for h in hs]
        for handler in handlers:
            try:
                handler(topic, payload)
            except Exception:
                log.exception("event handler %r failed on %s", handler, topic)

    def _loop(self) -> None:
        rounds = 0
        while not self._stop.is_set():
            try:
                self.poll()
                rounds += 1
                if rounds % 600 == 0:
                    with self._db.transaction() as connection:
                        store.forget_before(connection, self._clock() - KEEP_SECONDS)
            except Exception:
                log.exception("reading events failed")
            self._stop.wait(POLL_SECONDS)


def _matches(pattern: str, topic: str) -> bool:
    return pattern == topic or (pattern.endswith(".*") and topic.startswith(pattern[:-1]))
