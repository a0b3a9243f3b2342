"""SQL of scaffolder tasks: create, claim with a lease, heartbeat, finish, events, and stale-task failure."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, true, update

from callboard.storage.tables import scaffolder_task_events as events
from callboard.storage.tables import scaffolder_tasks as tasks

FINAL = ("completed", "failed", "cancelled")


def create_task(
    connection: Connection, template_ref: str, spec: dict[str, Any], secrets: dict[str, str], created_by: str
) -> str:
    task_id = str(uuid.uuid4())
    connection.execute(
        insert(tasks).values(
            id=task_id,
            template_ref=template_ref,
            spec=json.dumps(spec),
            secrets=json.dumps(secrets),
            status="open",
            created_by=created_by,
            created_at=time.time(),
            cancel_requested=False,
        )
    )
    return task_id


def claim_task(connection: Connection, owner: str, lease_seconds: float, *, postgres: bool) -> dict[str, Any] | None:
    """Lease the oldest open task to ``owner``; None when there is none."""
    now = time.time()
    candidate = select(tasks.c.id).where(tasks.c.status == "open").order_by(tasks.c.created_at).limit(1)
    if postgres:
        candidate = candidate.with_for_update(skip_locked=True)
    found = connection.execute(candidate).first()
    if found is None:
        return None
    claimed = connection.execute(
        update(tasks)
        .where(tasks.c.id == found[0], tasks.c.status == "open")
        .values(status="processing", lease_owner=owner, lease_until=now + lease_seconds, last_heartbeat_at=now)
        .returning(tasks.c.id, tasks.c.spec, tasks.c.secrets, tasks.c.created_by)
    ).first()
    if claimed is None:
        return None  # another worker took it in between (SQLite)
    return {
        "id": claimed[0],
        "spec": json.loads(claimed[1]),
        "secrets": json.loads(claimed[2] or "{}"),
        "created_by": claimed[3],
    }


def heartbeat(connection: Connection, task_id: str, owner: str, lease_seconds: float) -> bool:
    """Extend the lease; False when the task is no longer this worker's (or was asked to stop)."""
    now = time.time()
    row = connection.execute(
        update(tasks)
        .where(tasks.c.id == task_id, tasks.c.lease_owner == owner, tasks.c.status == "processing")
        .values(lease_until=now + lease_seconds, last_heartbeat_at=now)
        .returning(tasks.c.cancel_requested)
    ).first()
    return row is not None and not row[0]


def finish(connection: Connection, task_id: str, owner: str, status: str, output: Any, error: str | None) -> None:
    connection.execute(
        update(tasks)
        .where(tasks.c.id == task_id, tasks.c.lease_owner == owner)
        .values(status=status, output=json.dumps(output), error=error, lease_until=None, secrets=None)
    )


def add_event(connection: Connection, task_id: str, kind: str, body: dict[str, Any]) -> None:
    connection.execute(
        insert(events).values(task_id=task_id, type=kind, body=json.dumps(body, default=str), created_at=time.time())
    )


def request_cancel(connection: Connection, task_id: str) -> str | None:
    """Ask a task to stop: an open one is cancelled at once, a running one at its next step."""
    row = connection.execute(select(tasks.c.status).where(tasks.c.id == task_id)).first()
    if row is None:
        return None
    if row[0] == "open":
        connection.execute(update(tasks).where(tasks.c.id == task_id).values(status="cancelled", secrets=None))
        add_event(
            connection, task_id, "cancelled", {"message": "Run was cancelled before it started", "status": "cancelled"}
        )
        return "cancelled"
    if row[0] == "processing":
        connection.execute(update(tasks).where(tasks.c.id == task_id).values(cancel_requested=True))
    return str(row[0])


def fail_stale(connection: Connection) -> list[str]:
    """Tasks whose worker stopped renewing its lease are marked failed, with an event that says so."""
    now = time.time()
    stale = [
        row[0]
        for row in connection.execute(
            select(tasks.c.id).where(tasks.c.status == "processing", tasks.c.lease_until < now)
        )
    ]
    for task_id in stale:
        connection.execute(
            update(tasks)
            .where(tasks.c.id == task_id, tasks.c.status == "processing")
            .values(status="failed", error="The worker running this task stopped (its lease expired)", secrets=None)
        )
        add_event(
            connection,
            task_id,
            "completion",
            {
                "message": "Run completed with status: failed",
                "status": "failed",
                "error": {"name": "TaskLeaseExpired", "message": "The worker running this task stopped"},
            },
        )
    return stale


def _task(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "spec": json.loads(row.spec),
        "status": row.status,
        "createdBy": row.created_by,
        "createdAt": row.created_at,
        "lastHeartbeatAt": row.last_heartbeat_at,
        "templateRef": row.template_ref,
        "output": json.loads(row.output) if row.output else None,
        "error": row.error,
    }


def get_task(connection: Connection, task_id: str) -> dict[str, Any] | None:
    row = connection.execute(select(tasks).where(tasks.c.id == task_id)).first()
    return _task(row) if row is not None else None


def list_tasks(
    connection: Connection, *, created_by: str | None, statuses: Sequence[str], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    condition = and_(true(), true())
    if created_by:
        condition = and_(condition, tasks.c.created_by == created_by)
    if statuses:
        condition = and_(condition, tasks.c.status.in_(statuses))
    total = connection.execute(select(func.count()).select_from(tasks).where(condition)).scalar_one()
    rows = connection.execute(
        select(tasks).where(condition).order_by(tasks.c.created_at.desc()).limit(limit).offset(offset)
    ).all()
    return [_task(row) for row in rows], int(total)


def count_by_status(connection: Connection) -> dict[str, int]:
    rows = connection.execute(select(tasks.c.status, func.count()).group_by(tasks.c.status)).all()
    return {str(status): int(count) for status, count in rows}


def events_after(connection: Connection, task_id: str, after: int | None) -> list[dict[str, Any]]:
    statement = select(events).where(events.c.task_id == task_id).order_by(events.c.id)
    if after is not None:
        statement = statement.where(events.c.id > after)
    return [
        {
            "id": row.id,
            "taskId": row.task_id,
            "type": row.type,
            "body": json.loads(row.body),
            "createdAt": row.created_at,
        }
        for row in connection.execute(statement)
    ]
