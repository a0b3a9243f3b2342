"""The processing loop: claim due items with a lease, process them, write and stitch each batch atomically.

Runs in a background thread of ``callboard serve`` or alone in ``callboard worker``. With PostgreSQL, several
processes share the work: a claim takes rows ``FOR UPDATE SKIP LOCKED`` and leases them; a lease that runs out
(its process died) lets another process take the items.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from callboard.catalog import stitch_store, store
from callboard.catalog.pipeline import ProcessingError
from callboard.catalog.processing import ItemProcessor, Outcome
from callboard.storage.db import Database

log = logging.getLogger("callboard.catalog.engine")
_T = TypeVar("_T")

#: Queued entities stitched together (read and computed, then written while the next chunk is computed).
STITCH_CHUNK = 2000
#: During a backlog, entities not yet served are stitched this often, so a long ingestion shows them as it goes.
SHOW_NEW_SECONDS = 5.0
#: During a backlog, entities already served are stitched again (for the relations they gained) this often.
#: Every 5 s, re-stitching teams of hundreds of members and systems of hundreds of components took 60 % of
#: a 50,000-entity ingestion, and the share grows with the catalog.
RESTITCH_SECONDS = 60.0
#: Tables that grow with an ingestion; their planner statistics are refreshed as they double. The search
#: index's documents grow in step (a few seconds behind); without statistics its look for deleted entities,
#: a page of keys at a time, was planned as a scan and sort of the rest of the table for every page.
GROWING_TABLES = (
    "refresh_state",
    "refresh_state_references",
    "relations",
    "final_entities",
    "search",
    "stitch_queue",
    "search_documents",
)
#: Items processed before the first refresh of those statistics during a backlog (then at each doubling).
FIRST_ANALYZE_AT = 5_000


@dataclass(frozen=True)
class EngineSettings:
    interval_seconds: tuple[float, float] = (100.0, 150.0)
    batch_size: int = 1000
    lease_seconds: float = 120.0
    poll_seconds: float = 1.0
    orphan_strategy: str = "delete"
    #: Entities written or removed before the planner's statistics are refreshed, when next idle.
    statistics_after: int = 10_000


class CatalogEngine:
    """Keeps the catalog fresh; ``run_once`` is one batch, ``start`` runs batches until ``stop``."""

    def __init__(self, database: Database, processor: ItemProcessor, settings: EngineSettings | None = None) -> None:
        self._db = database
        self._processor = processor
        self.settings = settings or EngineSettings()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.processed_total = 0
        self._last_deferred = self._last_shown = time.monotonic()
        #: Entities written or removed since the statistics were last refreshed (approximate: two threads add).
        self._changed_since_statistics = 0
        self._grown_analyze_at = FIRST_ANALYZE_AT
        self.last_error: str | None = None
        self.on_batch: Callable[[int], None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._writer_lock = threading.Lock()

    def run_once(self) -> int:
        """Process one batch of due items; return how many were processed."""
        claimed = self._claim()
        if not claimed:
            return 0
        self._finish_batch(claimed, self._write(claimed, [self._process(item) for item in claimed]))
        return len(claimed)

    def run_batches(self) -> int:
        """Process batches until one is not full, each while the one before is written; return the items.

        Processing is Python (reading files, parsing, validating); writing is mostly PostgreSQL's work, in
        another process, so the two overlap on two cores. The next batch is claimed before the write of this
        one starts (a claim is a write too).
        """
        total = 0
        claimed = self._claim()
        writing: Future[bool] | None = None
        written: list[store.ClaimedItem] = []
        try:
            while claimed:
                outcomes = [self._process(item) for item in claimed]
                if writing is not None:
                    self._finish_batch(written, writing.result())
                # A stop request ends the backlog between batches: what was claimed is written, nothing more is
                # claimed, and the rest stays due for the next start (at a million entities, an hour of work).
                more = len(claimed) == self.settings.batch_size and not self._stop.is_set()
                following = self._claim() if more else []
                writing = self._hand_off(self._write, claimed, outcomes)
                written, total, claimed = claimed, total + len(claimed), following
            if writing is not None:
                self._finish_batch(written, writing.result())
        except BaseException:
            # Items claimed but not written go back at once instead of waiting for their leases to run out.
            with self._db.transaction() as connection:
                store.release(connection, self.owner)
            raise
        return total

    def stitch_deferred(self, limit: int = 20_000, *, unseen_only: bool = False) -> int:
        """Stitch queued entities (up to ``limit``), each chunk computed while the one before is written;
        return how many were taken off the queue. ``unseen_only`` stitches only those not served yet."""
        self._last_shown = time.monotonic()
        if not unseen_only:
            self._last_deferred = self._last_shown
        total = 0
        after: stitch_store.QueueKey | None = None
        writing: Future[int] | None = None
        while total < limit and not self._stop.is_set():
            with self._db.connect() as connection:
                queued = stitch_store.next_queued(connection, STITCH_CHUNK, after, unseen_only=unseen_only)
                if not queued:
                    break
                plan = stitch_store.plan_stitch(connection, queued, queued=queued)
            last = next(reversed(queued))
            after = (queued[last], last)
            if writing is not None:
                writing.result()
            writing = self._hand_off(self._apply_stitch, plan)
            total += len(queued)
            if len(queued) < STITCH_CHUNK:
                break
        if writing is not None:
            writing.result()
        return total

    def _claim(self) -> list[store.ClaimedItem]:
        with self._db.transaction() as connection:
            return store.claim_due(
                connection,
                self.owner,
                self.settings.batch_size,
                self.settings.lease_seconds,
                postgres=not self._db.is_sqlite,
            )

    def _write(self, claimed: list[store.ClaimedItem], outcomes: list[Outcome]) -> bool:
        """Write one batch's outcomes and stitch what they changed (or queue it); return whether it was full."""
        low, high = self.settings.interval_seconds
        try:
            with self._db.transaction() as connection:
                dirty = store.write_outcomes(
                    connection,
                    {item.entity_ref: item for item in claimed},
                    outcomes,
                    interval=random.uniform(low, high),
                    owner=self.owner,
                )
                backlog = len(claimed) == self.settings.batch_size
                if backlog:
                    # More is due: the batches to come will change these entities' relations again (a team
                    # is pointed at by each component it owns), so they are stitched with the queue, once.
                    stitch_store.enqueue_stitch(connection, dirty)
                else:
                    self._changed_since_statistics += stitch_store.stitch_entities(connection, dirty)
        finally:
            for outcome in outcomes:
                if outcome.children is not None:
                    outcome.children.close()  # a large location's children wait in a temporary file
        self._db.checkpoint_if_large()
        return backlog

    def _finish_batch(self, claimed: list[store.ClaimedItem], backlog: bool) -> None:
        self.processed_total += len(claimed)
        if self.processed_total >= self._grown_analyze_at:
            # Doubling keeps the cost linear: about ten ANALYZEs in a million-entity ingestion. Without them a
            # 50,000-entity ingestion on PostgreSQL with autovacuum off read relations by scanning the table.
            self._grown_analyze_at = 2 * self.processed_total
            try:
                self._db.analyze(GROWING_TABLES)
            except Exception:  # statistics are an optimisation; never stop the loop for them
                log.exception("refreshing planner statistics failed")
        # The queue (entities whose relations changed, and a backlog's batches) is stitched in bulk once the
        # backlog drains. Meanwhile new entities are stitched every few seconds, so that a long ingestion shows
        # them as it goes, and the rest now and then: each stitch of a team re-reads all its members.
        now = time.monotonic()
        if not backlog or now - self._last_deferred > RESTITCH_SECONDS:
            self.stitch_deferred()
        elif now - self._last_shown > SHOW_NEW_SECONDS:
            self.stitch_deferred(unseen_only=True)
        if self.on_batch is not None:
            self.on_batch(len(claimed))

    def _apply_stitch(self, plan: stitch_store.StitchPlan) -> int:
        with self._db.transaction() as connection:
            written = stitch_store.apply_stitch(connection, plan, postgres=not self._db.is_sqlite)
        self._changed_since_statistics += written
        self._db.checkpoint_if_large()
        return written

    def _hand_off(self, write: Callable[..., _T], *args: Any) -> Future[_T]:
        """Run ``write`` on the writer thread (PostgreSQL), or now (SQLite).

        SQLite's writes are done in this process, and its driver lets go of the interpreter lock for each row:
        beside a thread that processes, the writer then waits for the lock at every row (measured: 10,000
        entities took 7.0 s instead of 6.1). PostgreSQL's writes are a few large sends to another process.
        """
        if self._db.is_sqlite:
            done: Future[_T] = Future()
            try:
                done.set_result(write(*args))
            except BaseException as error:
                done.set_exception(error)
            return done
        return self._writer().submit(write, *args)

    def _writer(self) -> ThreadPoolExecutor:
        """The one thread that writes batches and stitches, in the order they were handed to it."""
        with self._writer_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-writer")
            return self._executor

    def _process(self, item: store.ClaimedItem) -> Outcome:
        try:
            return self._processor.process(item.entity_ref, item.unprocessed, item.cache, item.unprocessed_hash)
        except Exception as error:  # a bug in a processor must not stop the loop; it becomes the item's error
            log.exception("processing %s failed", item.entity_ref)
            return Outcome(
                item.entity_ref, False, errors=[ProcessingError("Error", f"{type(error).__name__}: {error}")]
            )

    def run_until_idle(self, timeout: float = 600.0) -> int:
        """Process batches until nothing is due (tests, imports, benchmarks); return the items processed."""
        if self._thread is None:
            self._stop.clear()  # run here, after the loop was stopped: a stop ended that loop, not this run
        deadline = time.monotonic() + timeout
        total = 0
        while time.monotonic() < deadline:
            count = self.run_batches()
            total += count
            if count == 0:
                if self.stitch_deferred():
                    continue
                if self.settings.orphan_strategy == "delete" and self.delete_orphans():
                    continue
                self.refresh_statistics()
                return total
        raise TimeoutError(f"the catalog was still processing after {timeout:.0f}s")

    def delete_orphans(self) -> int:
        """With ``orphanStrategy: delete``, remove entities nothing keeps alive (and their descendants)."""
        with self._db.transaction() as connection:
            orphans = store.orphan_refs(connection)
            if not orphans:
                return 0
            neighbours = store.delete_entities(connection, orphans)
            restitched = stitch_store.stitch_entities(connection, neighbours)
        self._changed_since_statistics += len(orphans) + restitched
        return len(orphans)

    def refresh_statistics(self, *, force: bool = False) -> bool:
        """Refresh the query planner's statistics after large changes (``statistics_after`` entities written or
        removed since last time). Counted in changes, not in items processed: re-processing that changes
        nothing leaves the filter index as it was, and a VACUUM of it at a million entities is minutes of work.
        """
        if not force and self._changed_since_statistics < self.settings.statistics_after:
            return False
        changed = self._changed_since_statistics
        self._db.refresh_statistics("search")
        # After: a refresh that failed is tried again when next idle. Changes made meanwhile still count.
        self._changed_since_statistics -= changed
        return True

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()  # started again after a stop: go on where it stopped
        self._thread = threading.Thread(target=self._loop, name="catalog-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop after the batch or stitch chunk in hand; return whether the loop ended within ``timeout``."""
        self._stop.set()
        self._wake.set()
        ended = True
        if self._thread is not None:
            self._thread.join(timeout)
            ended = not self._thread.is_alive()
            if not ended:
                log.warning("catalog processing did not stop within %.0f s", timeout)
            self._thread = None
        with self._writer_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
        with self._db.transaction() as connection:
            store.release(connection, self.owner)
        return ended

    def _loop(self) -> None:
        last_orphan_sweep = 0.0
        while not self._stop.is_set():
            try:
                count = self.run_batches() or self.stitch_deferred()
                sweep_due = time.monotonic() - last_orphan_sweep > 30 and not self._stop.is_set()
                if self.settings.orphan_strategy == "delete" and sweep_due:
                    last_orphan_sweep = time.monotonic()
                    self.delete_orphans()
                self.last_error = None
            except Exception as error:  # the database may be briefly unavailable; keep trying
                log.exception("catalog processing batch failed")
                self.last_error = f"{type(error).__name__}: {error}"
                count = 0
            if count == 0:
                try:
                    self.refresh_statistics()
                except Exception as error:  # statistics are an optimisation; never stop the loop for them
                    # One line, not a traceback: seen once when the portal stopped while SQLite's optimize ran
                    # ("database is locked"); the next idle moment tries again.
                    first_line = str(error).split("\n", 1)[0]
                    log.warning("planner statistics not refreshed, trying again later: %s", first_line)
                self._wake.wait(self.settings.poll_seconds)
                self._wake.clear()
