"""Group commit: deliveries that arrive together are stored in one transaction by one thread.

Each delivery waits for its own answer (stored, or the same change stored before), so nothing is
acknowledged before it is committed; under load a commit and an event-bus message serve a group instead
of one delivery each (SQLite's single writer no longer serialises every request on its lock).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from callboard_change_events import store

log = logging.getLogger(__name__)
MAX_GROUP = 200
WAIT_SECONDS = 30.0


class GroupWriter:
    def __init__(
        self,
        write: Callable[[Sequence[store.Placed]], list[store.Stored]],
        written: Callable[[Sequence[tuple[store.Placed, store.Stored]]], None],
    ) -> None:
        self._write = write
        self._written = written
        self._queue: queue.Queue[tuple[store.Placed, Future[store.Stored]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def save(self, placed: store.Placed) -> store.Stored:
        """Store one event with whatever else is waiting; its own result, once committed."""
        return self.save_many([placed])[0]

    def save_many(self, placed: Sequence[store.Placed]) -> list[store.Stored]:
        """Store events with whatever else is waiting, in groups of up to ``MAX_GROUP`` per commit; their
        results, once committed."""
        waiting: list[Future[store.Stored]] = []
        self._start()
        for one in placed:
            done: Future[store.Stored] = Future()
            self._queue.put((one, done))
            waiting.append(done)
        deadline = time.monotonic() + WAIT_SECONDS + len(placed) / 100
        return [done.result(timeout=max(0.0, deadline - time.monotonic())) for done in waiting]

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=WAIT_SECONDS)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="change-events-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(item)
            self._commit(group)

    def _commit(self, group: list[tuple[store.Placed, Future[store.Stored]]]) -> None:
        try:
            results = self._write([placed for placed, _ in group])
        except Exception as error:  # one bad delivery must not fail the others: each alone, its own answer
            if len(group) == 1:
                group[0][1].set_exception(error)
                return
            for item in group:
                self._commit([item])
            return
        try:  # others hear of the events before their senders get the answer
            self._written([(placed, result) for (placed, _), result in zip(group, results, strict=True)])
        except Exception:
            log.exception("change-events: telling others of %d stored events failed", len(group))
        for (_, done), result in zip(group, results, strict=True):
            done.set_result(result)
