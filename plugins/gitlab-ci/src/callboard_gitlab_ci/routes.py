"""The plugin's API, ``/api/gitlab-ci/``: pipelines of an entity's project as JSON, and Retry.

Every call names the entity (``?entity=component:default/label-printer``): the caller must be able to read it
(else 404, as if it did not exist), and GitLab is asked only about the project its annotation names.
"""

from __future__ import annotations

from dataclasses import asdict
from html import escape
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from callboard.sdk import EntityRef, EntityRefError, Fetched, NotAllowedError, UpstreamError
from callboard_gitlab_ci.service import SLUG, Pipelines, project_of, project_problem

#: What a read answers besides 200: the OpenAPI document says so (the fuzzer checks it).
READS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such entity, one the caller may not read, or one without the annotation."},
    502: {"description": "GitLab could not be read and nothing was cached."},
}
#: What a write answers besides 202.
WRITES: dict[int | str, dict[str, Any]] = {
    **READS,
    400: {"description": "The request does not fit (the message says which field)."},
    403: {"description": "The caller lacks the permission on this entity."},
}


def api_router(pipelines: Pipelines) -> APIRouter:
    router = APIRouter()

    def entity_and_project(raw: str) -> tuple[dict[str, Any], str]:
        try:
            ref = EntityRef.parse(raw.strip(), default_kind="component").key
        except EntityRefError as error:
            raise HTTPException(404, f"entity: {error}; no entity has that ref") from None
        entity = pipelines.context.caller_catalog.entity(ref)
        if entity is None:
            raise HTTPException(404, f"No entity {ref} (or you may not read it)")
        project = project_of(entity)
        if project is None:
            raise HTTPException(404, f"{ref} has no {SLUG} annotation; add one naming group/project")
        problem = project_problem(project)
        if problem:
            raise HTTPException(404, problem)
        return dict(entity), project

    @router.get("/pipelines", responses=READS)
    def listed(entity: str, branch: str = "", status: str = "", page: int = 1) -> dict[str, Any]:
        """The project's pipelines, newest first (``branch`` and ``status`` filter them)."""
        found, project = entity_and_project(entity)
        ref = EntityRef.of(found).key
        fetched = pipelines.pipelines(
            project, ref, branch=branch[:200], status=status[:20], page=max(1, min(page, 999))
        )
        value = fetched.value
        return {
            "project": project,
            "pipelines": [asdict(p) for p in value[0]] if value else [],
            "totalCount": value[1] if value else 0,
            **_freshness(fetched),
        }

    @router.get("/pipelines/{pipeline_id}", responses=READS)
    def one(entity: str, pipeline_id: int) -> dict[str, Any]:
        """One pipeline with its jobs."""
        _, project = entity_and_project(entity)
        fetched = pipelines.pipeline(project, pipeline_id)
        if fetched.value is None:
            raise HTTPException(502, fetched.problem)
        found, jobs = fetched.value
        return {"pipeline": asdict(found), "jobs": [asdict(job) for job in jobs], **_freshness(fetched)}

    @router.post("/pipelines/{pipeline_id}/retry", status_code=202, responses=WRITES)
    def retry(request: Request, entity: str, pipeline_id: int) -> Response:
        """Retry a pipeline's failed jobs: needs ``gitlab-ci.pipeline.retry`` on the entity; audited either way."""
        found, _ = entity_and_project(entity)
        htmx = request.headers.get("hx-request") == "true"
        try:
            pipelines.retry(found, pipeline_id)
        except NotAllowedError as error:
            if htmx:
                return _note(str(error), 403)
            raise
        except UpstreamError as error:
            if htmx:
                return _note(str(error), 502)
            raise HTTPException(502, str(error)) from None
        if htmx:
            return HTMLResponse(
                '<span class="notice" role="status">Retry requested: reload in a moment to follow it.</span>', 202
            )
        return JSONResponse({"status": "requested", "pipeline": pipeline_id, "entity": EntityRef.of(found).key}, 202)

    return router


def _note(message: str, status: int) -> HTMLResponse:
    return HTMLResponse(f'<span class="notice upstream-problem" role="status">{escape(message)}</span>', status)


def _freshness(fetched: Fetched[Any]) -> dict[str, Any]:
    return {"fetchedAt": fetched.fetched_at, "staleSince": fetched.stale_since, "problem": fetched.problem or None}
