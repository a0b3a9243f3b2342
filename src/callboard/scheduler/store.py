"""SQL of the scheduler: task rows, leases taken by conditional UPDATE (atomic on SQLite and PostgreSQL), runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from callboard.storage.db import bulk_insert
from callboard.storage.tables import scheduled_task_runs as runs
from callboard.storage.tables import scheduled_tasks as tasks

#: Runs kept per task; older ones are deleted as new ones finish.
RUNS_KEPT = 20


@dataclass(frozen=True)
class Run:
    task_id: str
    replica: str
    started_at: float
    finished_at: float | None
    status: str
    error: str | None
    triggered_by: str | None


@dataclass(frozen=True)
class ScheduleRow:
    next_run_at: float
    #: Who asked for a run now (a user, "command line", "test"); None when nobody did.
    triggered_by: str | None
    lease_until: float | None
    lease_owner: str | None = None

    @property
    def trigger_requested(self) -> bool:
        return self.triggered_by is not None


def schedule_rows(connection: Connection, task_ids: Sequence[str]) -> dict[str, ScheduleRow]:
    """When each task runs next, whether a run was asked for, and until when its lease is held."""
    rows = connection.execute(
        select(tasks.c.id, tasks.c.next_run_at, tasks.c.triggered_by, tasks.c.lease_until, tasks.c.lease_owner).where(
            tasks.c.id.in_(list(task_ids))
        )
    )
    return {row[0]: ScheduleRow(float(row[1]), row[2], row[3], row[4]) for row in rows}


def ensure(connection: Connection, task_id: str, scope: str, first_run_at: float) -> None:
    """Create the task's row if this is the first replica to know it; an existing schedule is kept.

    Replicas starting together all find no row: the insert skips a row another one wrote meanwhile (a plain
    insert failed the second replica's start-up with a unique violation).
    """
    found = connection.execute(select(tasks.c.id).where(tasks.c.id == task_id)).first()
    if found is None:
        bulk_insert(
            connection,
            "scheduled_tasks",
            ("id", "scope", "next_run_at", "triggered_by"),
            [(task_id, scope, first_run_at, None)],
            ignore_conflicts=True,
        )


def take_lease(connection: Connection, task_id: str, replica: str, now: float, until: float) -> bool:
    """Take the task's lease if it is due (or triggered) and nobody holds a live lease; True if taken."""
    result = connection.execute(
        update(tasks)
        .where(
            tasks.c.id == task_id,
            or_(tasks.c.next_run_at <= now, tasks.c.triggered_by.is_not(None)),
            or_(tasks.c.lease_until.is_(None), tasks.c.lease_until < now),
        )
        .values(lease_owner=replica, lease_until=until, triggered_by=None)
    )
    return result.rowcount == 1


def release(connection: Connection, task_id: str, replica: str, next_run_at: float) -> None:
    connection.execute(
        update(tasks)
        .where(and_(tasks.c.id == task_id, tasks.c.lease_owner == replica))
        .values(lease_owner=None, lease_until=None, next_run_at=next_run_at)
    )


def request_trigger(connection: Connection, task_id: str, by: str) -> bool:
    """Ask for a run as soon as a replica can; ``by`` is kept with the run, whichever replica takes it."""
    result = connection.execute(update(tasks).where(tasks.c.id == task_id).values(triggered_by=by))
    return result.rowcount == 1


def take_trigger(connection: Connection, task_id: str) -> bool:
    """For local tasks: consume a trigger request (every replica runs its own copy; the first one clears it)."""
    result = connection.execute(
        update(tasks).where(tasks.c.id == task_id, tasks.c.triggered_by.is_not(None)).values(triggered_by=None)
    )
    return result.rowcount == 1


def start_run(connection: Connection, task_id: str, replica: str, now: float, triggered_by: str | None) -> int:
    result = connection.execute(
        insert(runs).values(
            task_id=task_id, replica=replica, started_at=now, status="running", triggered_by=triggered_by
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def finish_run(connection: Connection, run_id: int, task_id: str, now: float, status: str, error: str | None) -> None:
    connection.execute(update(runs).where(runs.c.id == run_id).values(finished_at=now, status=status, error=error))
    keep = select(runs.c.id).where(runs.c.task_id == task_id).order_by(runs.c.id.desc()).limit(RUNS_KEPT)
    connection.execute(delete(runs).where(runs.c.task_id == task_id, runs.c.id.not_in(keep)))


def recent_runs(connection: Connection, task_id: str, limit: int = RUNS_KEPT) -> list[Run]:
    rows = connection.execute(
        select(
            runs.c.task_id,
            runs.c.replica,
            runs.c.started_at,
            runs.c.finished_at,
            runs.c.status,
            runs.c.error,
            runs.c.triggered_by,
        )
        .where(runs.c.task_id == task_id)
        .order_by(runs.c.id.desc())
        .limit(limit)
    )
    return [Run(*row) for row in rows]
