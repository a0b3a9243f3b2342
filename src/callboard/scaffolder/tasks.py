"""Tasks: a template run requested through the API, persisted, and run by a worker holding a lease.

Any replica's worker may claim an open task. While it runs, the worker renews its lease with every event;
a task whose lease runs out (the worker died) is marked failed by whichever replica notices, never left
"processing" forever. Cancelling marks the task; the runner stops before the next step.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from callboard.core.errors import InputError, NotFoundError
from callboard.core.identity import Identity, PrincipalType
from callboard.scaffolder import store
from callboard.scaffolder.actions import CatalogAccess
from callboard.scaffolder.runner import Runner
from callboard.scaffolder.templates import Template
from callboard.storage.db import Database

log = logging.getLogger("callboard.scaffolder")

LEASE_SECONDS = 60.0


class TaskService:
    def __init__(
        self,
        database: Database,
        runner: Runner,
        *,
        work_dir: Path,
        integrations: Mapping[str, Any],
        catalog_for: Callable[[Identity], CatalogAccess] | None = None,
    ) -> None:
        self._db = database
        self.runner = runner
        self.work_dir = work_dir
        #: Where publish:file writes (beside the work folder, under the data folder).
        self.published = work_dir.parent / "published"
        self.integrations = dict(integrations)
        #: The catalog as a task's creator may use it: their permissions apply, the audit log names them.
        self.catalog_for = catalog_for
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- requests -------------------------------------------------------------------------------------------

    def create(
        self,
        entity: Mapping[str, Any],
        values: Mapping[str, Any],
        identity: Identity,
        *,
        secrets: Mapping[str, str] | None = None,
        user_entity: Mapping[str, Any] | None = None,
    ) -> str:
        template = Template.from_entity(entity)
        self.runner.check(template)
        values = template.with_defaults(values)
        problems = template.validate(values)
        if problems:
            # For API callers (scripts): JSON Schema's own wording, which names the rule that failed.
            raise InputError("; ".join(f"{p['path'] or '(top)'}: {p['detail']}" for p in problems))
        spec = {
            "apiVersion": template.entity.get("apiVersion"),
            "steps": template.entity.get("spec", {}).get("steps", []),
            "output": template.output,
            "parameters": dict(values),
            "user": {"ref": identity.subject, "entity": dict(user_entity) if user_entity else None},
            # Who the task acts for when it runs (later, on any replica): permission checks use this.
            "identity": {"type": identity.type, "subject": identity.subject, "ownership": list(identity.ownership)},
            "templateInfo": {
                "entityRef": template.ref,
                "baseUrl": template.base_url,
                "entity": {"metadata": template.entity.get("metadata")},
            },
            "template": template.entity,
        }
        with self._db.transaction() as connection:
            task_id = store.create_task(connection, template.ref, spec, dict(secrets or {}), identity.subject)
        self._wake.set()
        return task_id

    def get(self, task_id: str) -> dict[str, Any]:
        with self._db.connect() as connection:
            found = store.get_task(connection, task_id)
        if found is None:
            raise NotFoundError(f"No task with id {task_id}")
        found["spec"].pop("template", None)
        found["spec"].pop("identity", None)
        return found

    def list_tasks(self, *, created_by: str | None, statuses: list[str], limit: int, offset: int) -> dict[str, Any]:
        with self._db.connect() as connection:
            found, total = store.list_tasks(
                connection, created_by=created_by, statuses=statuses, limit=limit, offset=offset
            )
        for task in found:
            task["spec"].pop("template", None)
            task["spec"].pop("identity", None)
        return {"tasks": found, "totalTasks": total}

    def counts_by_status(self) -> dict[str, int]:
        """How many template runs there are in each status (open, processing, completed, failed, cancelled)."""
        with self._db.connect() as connection:
            return store.count_by_status(connection)

    def cancel(self, task_id: str) -> dict[str, str]:
        with self._db.transaction() as connection:
            status = store.request_cancel(connection, task_id)
        if status is None:
            raise NotFoundError(f"No task with id {task_id}")
        return {"status": "cancelled" if status in ("cancelled", "processing") else status}

    def events(self, task_id: str, after: int | None = None) -> list[dict[str, Any]]:
        self.get(task_id)
        with self._db.connect() as connection:
            return store.events_after(connection, task_id, after)

    # -- the worker -----------------------------------------------------------------------------------------

    def run_one(self) -> bool:
        """Claim and run one open task; False when there was none."""
        with self._db.transaction() as connection:
            store.fail_stale(connection)
            claimed = store.claim_task(connection, self.owner, LEASE_SECONDS, postgres=not self._db.is_sqlite)
        if claimed is None:
            return False
        self._run(claimed)
        return True

    def _run(self, claimed: dict[str, Any]) -> None:
        task_id, spec = claimed["id"], claimed["spec"]
        workspace = self.work_dir / task_id
        state = {"cancel": False, "last_beat": time.monotonic()}

        def emit(event: dict[str, Any]) -> None:
            with self._db.transaction() as connection:
                store.add_event(connection, task_id, event["type"], event["body"])
                if time.monotonic() - state["last_beat"] > 5:
                    state["cancel"] = not store.heartbeat(connection, task_id, self.owner, LEASE_SECONDS)
                    state["last_beat"] = time.monotonic()

        def cancelled() -> bool:
            with self._db.transaction() as connection:
                state["cancel"] = state["cancel"] or not store.heartbeat(connection, task_id, self.owner, LEASE_SECONDS)
            return bool(state["cancel"])

        try:
            template = Template.from_entity(spec["template"], base_url=spec["templateInfo"]["baseUrl"])
            result = self.runner.run(
                template,
                spec["parameters"],
                workspace=workspace,
                emit=emit,
                secrets=claimed["secrets"],
                user=spec.get("user") or {},
                catalog=self.catalog_for(_creator(spec, claimed)) if self.catalog_for else None,
                integrations=self.integrations,
                cancelled=cancelled,
                task_id=task_id,
                local_root=self.published,
            )
            status, output, error = result.status, result.output, result.error
        except Exception as problem:  # the task fails visibly instead of the worker dying
            log.exception("task %s crashed", task_id)
            status, output, error = "failed", {}, f"{type(problem).__name__}: {problem}"
            emit(
                {
                    "type": "completion",
                    "body": {
                        "message": "Run completed with status: failed",
                        "status": "failed",
                        "error": {"name": type(problem).__name__, "message": str(problem)},
                    },
                }
            )
        finally:
            shutil.rmtree(workspace, ignore_errors=True)
        with self._db.transaction() as connection:
            store.finish(connection, task_id, self.owner, status, output, error)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="scaffolder-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.run_one():
                    continue
            except Exception:
                log.exception("scaffolder worker iteration failed")
            self._wake.wait(2.0)
            self._wake.clear()


def _creator(spec: Mapping[str, Any], claimed: Mapping[str, Any]) -> Identity:
    """The identity the task was created by; a task stored before identities were kept acts as its creator's
    bare subject (no group ownership), so it never gains what its creator could not do."""
    stored = spec.get("identity") or {}
    subject = str(stored.get("subject") or claimed.get("created_by") or "")
    kind: PrincipalType = "service" if subject.startswith("service:") else "user"
    if stored.get("type") in ("user", "service"):
        kind = stored["type"]
    if not subject:
        return Identity("none", "")
    return Identity(kind, subject, tuple(stored.get("ownership") or (subject,)))
