"""One scheduler for every recurring job: plugins' tasks and entity providers, on every replica.

A global task runs where a conditional UPDATE took its lease (so once across replicas); the lease lasts the
task's timeout plus a margin, so a replica that dies mid-run only delays the next run. A local task runs on
each replica on its own clock. Every run is recorded with its replica, outcome and error.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from croniter import croniter

from callboard.core.errors import InputError, NotFoundError
from callboard.core.loops import BackgroundLoop
from callboard.core.permissions import SCHEDULER_TASK_RUN, AccessLike, require
from callboard.plugins.backend import ScheduledTask
from callboard.scheduler import store
from callboard.scheduler.store import Run
from callboard.storage.db import Database

log = logging.getLogger(__name__)

#: How long past its timeout a lease outlives a silent holder before another replica may take the task.
LEASE_MARGIN_SECONDS = 30.0
TICK_SECONDS = 0.5


@dataclass(frozen=True)
class TaskStatus:
    id: str
    owner: str
    scope: str
    schedule: str
    next_run_at: float | None
    running_on: str | None
    runs: list[Run]
    #: A run asked for (by this person or command) that no replica has taken yet.
    requested_by: str | None = None


def check_schedule(task: ScheduledTask) -> None:
    """A task names exactly one schedule, and a cron expression must parse; the message names the task."""
    if (task.every_seconds is None) == (task.cron is None):
        raise InputError(f"Scheduled task {task.id!r}: give exactly one of every_seconds or cron")
    if task.every_seconds is not None and task.every_seconds <= 0:
        raise InputError(f"Scheduled task {task.id!r}: every_seconds must be positive, not {task.every_seconds}")
    if task.cron is not None and not croniter.is_valid(task.cron):
        raise InputError(f"Scheduled task {task.id!r}: {task.cron!r} is not a five-field cron expression")
    if task.timeout_seconds <= 0:
        raise InputError(f"Scheduled task {task.id!r}: timeout_seconds must be positive")


def next_time(task: ScheduledTask, after: float) -> float:
    if task.every_seconds is not None:
        return after + task.every_seconds
    start = datetime.fromtimestamp(after, UTC)
    return float(croniter(task.cron or "", start).get_next(float))


def describe_schedule(task: ScheduledTask) -> str:
    return f"every {task.every_seconds:g} s" if task.every_seconds is not None else f"cron {task.cron}"


class Scheduler(BackgroundLoop):
    def __init__(self, database: Database, *, clock: Callable[[], float] = time.time, replica: str = "") -> None:
        super().__init__("callboard-scheduler")
        self._db = database
        self._clock = clock
        self.replica = replica or f"replica-{uuid.uuid4().hex[:12]}"
        self._tasks: dict[str, tuple[str, ScheduledTask]] = {}
        self._local_next: dict[str, float] = {}
        self._running: dict[str, threading.Thread] = {}

    def add(self, owner: str, task: ScheduledTask) -> None:
        """Register a task (``owner`` is the plugin id); ids are unique across the portal."""
        check_schedule(task)
        if task.id in self._tasks:
            raise InputError(f"Scheduled task {task.id!r} is registered by both {self._tasks[task.id][0]} and {owner}")
        self._tasks[task.id] = (owner, task)
        first = self._clock() + task.initial_delay_seconds
        with self._db.transaction() as connection:
            store.ensure(connection, task.id, task.scope, first)
        self._local_next[task.id] = first

    @property
    def task_ids(self) -> list[str]:
        return sorted(self._tasks)

    def may_trigger(self, access: AccessLike) -> bool:
        return access.decide(SCHEDULER_TASK_RUN).allowed

    def trigger(self, task_id: str, access: AccessLike) -> None:
        """Run the task as soon as a replica can (its schedule carries on from that run), if the caller may
        run tasks by hand (``scheduler.task.run``); the run records who asked."""
        require(access, SCHEDULER_TASK_RUN, "run scheduled tasks")
        self._request(task_id, access.identity.subject)

    def _request(self, task_id: str, by: str) -> None:
        if task_id not in self._tasks:
            raise NotFoundError(f"No scheduled task {task_id!r}; known: {', '.join(self.task_ids) or 'none'}")
        with self._db.transaction() as connection:
            store.request_trigger(connection, task_id, by or "by hand")

    def status(self) -> list[TaskStatus]:
        found = []
        with self._db.connect() as connection:
            rows = store.schedule_rows(connection, self.task_ids)
            for task_id in self.task_ids:
                owner, task = self._tasks[task_id]
                row = rows.get(task_id)
                next_at = self._local_next.get(task_id) if task.scope == "local" else (row.next_run_at if row else None)
                found.append(
                    TaskStatus(
                        task_id,
                        owner,
                        task.scope,
                        describe_schedule(task),
                        next_at,
                        row.lease_owner if row else None,
                        store.recent_runs(connection, task_id),
                        row.triggered_by if row else None,
                    )
                )
        return found

    def run_due(self) -> list[str]:
        """One round: start every task due here; returns the ids started (the loop calls this; tests too)."""
        started: list[str] = []
        now = self._clock()
        idle = [task_id for task_id in self._tasks if not self._is_running(task_id)]
        if not idle:
            return started
        # One read per round; a write (taking a lease or a trigger) only for the tasks that may run now, so
        # an idle portal does not take the database's write lock twice a second per task.
        with self._db.connect() as connection:
            rows = store.schedule_rows(connection, idle)
        for task_id in idle:
            task = self._tasks[task_id][1]
            row = rows.get(task_id)
            if row is None or not self._may_run(task, row, now):
                continue
            if self._claim(task, now):
                started.append(task_id)
                self._start(task, now, row.triggered_by)
        return started

    def _is_running(self, task_id: str) -> bool:
        thread = self._running.get(task_id)
        return thread is not None and thread.is_alive()

    def _may_run(self, task: ScheduledTask, row: store.ScheduleRow, now: float) -> bool:
        if task.scope == "local":
            return row.trigger_requested or self._local_next.get(task.id, now) <= now
        due = row.trigger_requested or row.next_run_at <= now
        return due and (row.lease_until is None or row.lease_until < now)

    def run_now(self, task_id: str, by: str = "", timeout: float = 3600.0) -> Run:
        """Run one task in this process now and wait for it (``callboard tasks run``, tests); its last run.

        A global task still takes its lease, so it never runs twice at once across replicas; if another
        replica holds it, this waits for that run instead of starting a second one.
        """
        self._request(task_id, by)
        _, task = self._tasks[task_id]
        if self._claim(task, self._clock()):
            self._start(task, self._clock(), by or "by hand")
        thread = self._running.get(task_id)
        if thread is not None:
            thread.join(timeout)
        with self._db.connect() as connection:
            return store.recent_runs(connection, task_id, 1)[0]

    def wait_idle(self, timeout: float = 30.0) -> list[str]:
        """Wait for the runs in progress on this replica (tests, shutdown); return the tasks still running."""
        deadline = time.monotonic() + timeout
        for thread in list(self._running.values()):
            thread.join(max(0.0, deadline - time.monotonic()))
        return sorted(task_id for task_id, thread in list(self._running.items()) if thread.is_alive())

    def stop_starting(self, timeout: float = 10.0) -> None:
        """Start no more runs; the runs in progress go on (``finish_runs`` waits for them)."""
        super().stop(timeout)

    def finish_runs(self, timeout: float = 10.0) -> None:
        """Give the runs in progress ``timeout`` seconds to finish and be recorded; name those that did not."""
        still = self.wait_idle(timeout)
        if still:
            log.warning("scheduled runs still in progress after %.0f s, left behind: %s", timeout, ", ".join(still))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop starting runs, and give the runs in progress ``timeout`` seconds to finish and be recorded."""
        self.stop_starting(timeout)
        self.finish_runs(timeout)

    def _claim(self, task: ScheduledTask, now: float) -> bool:
        if task.scope == "local":
            with self._db.transaction() as connection:
                triggered = store.take_trigger(connection, task.id)
            return triggered or self._local_next.get(task.id, now) <= now
        until = now + task.timeout_seconds + LEASE_MARGIN_SECONDS
        with self._db.transaction() as connection:
            return store.take_lease(connection, task.id, self.replica, now, until)

    def _start(self, task: ScheduledTask, now: float, by: str | None) -> None:
        with self._db.transaction() as connection:
            run_id = store.start_run(connection, task.id, self.replica, now, by)
        thread = threading.Thread(target=self._run, args=(task, run_id), name=f"task-{task.id}", daemon=True)
        self._running[task.id] = thread
        thread.start()

    def _run(self, task: ScheduledTask, run_id: int) -> None:
        outcome: list[BaseException | None] = []
        worker = threading.Thread(target=_call, args=(task.run, outcome), name=f"task-{task.id}-work", daemon=True)
        worker.start()
        worker.join(task.timeout_seconds)
        if worker.is_alive():
            # Python cannot stop a thread; the run is reported as timed out and the schedule moves on.
            status, error = "timed out", f"still running after {task.timeout_seconds:g} s"
        elif outcome and outcome[0] is not None:
            status, error = "failed", f"{type(outcome[0]).__name__}: {outcome[0]}"
            log.warning("scheduled task %s failed: %s", task.id, error)
        else:
            status, error = "succeeded", None
        finished = self._clock()
        following = next_time(task, finished)
        with self._db.transaction() as connection:
            store.finish_run(connection, run_id, task.id, finished, status, error)
            if task.scope == "global":
                store.release(connection, task.id, self.replica, following)
        self._local_next[task.id] = following

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:  # the database may be briefly unreachable; the next round tries again
                log.exception("scheduler round failed")
            self._stop.wait(TICK_SECONDS)


def _call(run: Callable[[], object], outcome: list[BaseException | None]) -> None:
    try:
        run()
        outcome.append(None)
    except BaseException as error:  # reported as the run's error, never lost
        outcome.append(error)
