"""``/api/scaffolder/v2``: Backstage's scaffolder API (actions, template forms, dry runs)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from callboard.auth.api import current_access
from callboard.catalog.api import SecuredCatalog
from callboard.core.entity import EntityRef, EntityRefError
from callboard.core.errors import InputError
from callboard.core.limits import RequestLimits
from callboard.scaffolder.api import ScaffolderService, SecuredTasks
from callboard.web.api.models import CreateTaskRequest, DryRunRequest
from callboard.web.api.params import limit_param, offset_param
from callboard.web.auth import identity_of


def event_stream(tasks: SecuredTasks, task_id: str, after: int | None) -> Iterator[str]:
    """Server-sent events in Backstage's shape, until the task completes or is cancelled."""
    last = after
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        for event in tasks.events(task_id, last):
            last = event["id"]
            yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
            if event["type"] in ("completion", "cancelled"):
                return
        yield ": keep-alive\n\n"
        time.sleep(0.5)


def scaffolder_router(
    catalog: SecuredCatalog, scaffolder: ScaffolderService, tasks: SecuredTasks, limits: RequestLimits | None = None
) -> APIRouter:
    router = APIRouter(prefix="/api/scaffolder/v2", tags=["scaffolder"])
    limits = limits or RequestLimits()
    limit_query = Query(
        None, description="Most tasks to answer.", json_schema_extra={"minimum": 0, "maximum": limits.max_limit}
    )
    offset_query = Query(None, json_schema_extra={"minimum": 0, "maximum": limits.max_offset})

    @router.post("/tasks", status_code=201)
    def create_task(request: Request, body: CreateTaskRequest) -> dict[str, str]:
        try:
            parsed = EntityRef.parse(body.templateRef, default_kind="template")
        except EntityRefError as error:
            raise InputError(f"Invalid templateRef {body.templateRef!r}: {error}") from None
        identity = identity_of(request)
        user = catalog.entities_by_refs([identity.subject], (), ())[0] if identity.type == "user" else None
        task_id = tasks.create(
            lambda: catalog.entity_by_name(parsed.kind, parsed.namespace, parsed.name),
            body.values,
            secrets=body.secrets or {},
            user_entity=user,
        )
        return {"id": task_id}

    @router.get("/tasks")
    def list_tasks(
        createdBy: str | None = None,  # noqa: N803 - Backstage's parameter names
        status: Annotated[
            list[Literal["open", "processing", "completed", "failed", "cancelled"]] | None, Query()
        ] = None,
        limit: int | None = limit_query,
        offset: int | None = offset_query,
    ) -> dict[str, Any]:
        size = limit_param(limit, limits)
        return tasks.list_tasks(
            created_by=createdBy,
            statuses=list(status or []),
            limit=50 if size is None else size,
            offset=offset_param(offset, limits),
        )

    @router.get("/tasks/{task_id}")
    def get_task(task_id: str) -> dict[str, Any]:
        return tasks.get(task_id)

    @router.post("/tasks/{task_id}/cancel")
    def cancel_task(task_id: str) -> dict[str, str]:
        return tasks.cancel(task_id)

    @router.get("/tasks/{task_id}/events")
    def task_events(task_id: str, after: int | None = None) -> list[dict[str, Any]]:
        return tasks.events(task_id, after)

    @router.get("/tasks/{task_id}/eventstream")
    def task_event_stream(task_id: str, after: int | None = None) -> StreamingResponse:
        tasks.get(task_id)
        # The stream outlives this call, so it reads as the caller explicitly, not as whoever is current.
        return StreamingResponse(
            event_stream(tasks.acting_as(current_access()), task_id, after),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.get("/actions")
    def actions() -> list[dict[str, Any]]:
        return scaffolder.list_actions()

    @router.get("/templates/{namespace}/{kind}/{name}/parameter-schema")
    def parameter_schema(namespace: str, kind: str, name: str) -> dict[str, Any]:
        return scaffolder.parameter_schema(catalog.entity_by_name(kind, namespace, name))

    @router.post("/dry-run")
    def dry_run(body: DryRunRequest) -> dict[str, Any]:
        return tasks.dry_run(
            body.template,
            body.values,
            secrets=body.secrets or {},
            directory_contents=[item.model_dump(exclude_none=True) for item in body.directoryContents],
        )

    return router
