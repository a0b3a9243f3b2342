"""The plugin's API, ``/api/github-actions/``: runs of an entity's repository as JSON, and Re-run.

Every call names the entity (``?entity=component:default/booking-service``): the caller must be able to read
it (else 404, as if it did not exist), and GitHub is asked only about the repository its annotation names.
"""

from __future__ import annotations

from dataclasses import asdict
from html import escape
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from callboard.sdk import EntityRef, EntityRefError, Fetched, NotAllowedError, UpstreamError
from callboard_github_actions.service import ANNOTATION, Actions, slug_of, slug_problem

#: What a read answers besides 200: the OpenAPI document says so (the fuzzer checks it).
READS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such entity, one the caller may not read, or one without the annotation."},
    502: {"description": "GitHub could not be read and nothing was cached."},
}
#: What a write answers besides 202.
WRITES: dict[int | str, dict[str, Any]] = {
    **READS,
    400: {"description": "The request does not fit (the message says which field)."},
    403: {"description": "The caller lacks the permission on this entity."},
}


def api_router(actions: Actions) -> APIRouter:
    router = APIRouter()

    def entity_and_slug(raw: str) -> tuple[dict[str, Any], str]:
        try:
            ref = EntityRef.parse(raw.strip(), default_kind="component").key
        except EntityRefError as error:
            raise HTTPException(404, f"entity: {error}; no entity has that ref") from None
        entity = actions.context.caller_catalog.entity(ref)
        if entity is None:
            raise HTTPException(404, f"No entity {ref} (or you may not read it)")
        slug = slug_of(entity)
        if slug is None:
            raise HTTPException(404, f"{ref} has no {ANNOTATION} annotation; add one naming owner/repository")
        problem = slug_problem(slug)
        if problem:
            raise HTTPException(404, problem)
        return dict(entity), slug

    @router.get("/runs", responses=READS)
    def runs(entity: str, workflow: int | None = None, branch: str = "", page: int = 1) -> dict[str, Any]:
        """The repository's workflow runs, newest first (``workflow`` id and ``branch`` filter them)."""
        found, slug = entity_and_slug(entity)
        ref = EntityRef.of(found).key
        fetched = actions.runs(
            slug, ref, workflow=str(workflow or ""), branch=branch[:200], page=max(1, min(page, 999))
        )
        value = fetched.value
        return {
            "repository": slug,
            "runs": [asdict(run) for run in value.runs] if value else [],
            "totalCount": value.total if value else 0,
            **_freshness(fetched),
        }

    @router.get("/runs/{run_id}", responses=READS)
    def run(entity: str, run_id: int) -> dict[str, Any]:
        """One run with its jobs and their steps."""
        _, slug = entity_and_slug(entity)
        fetched = actions.run(slug, run_id)
        if fetched.value is None:
            raise HTTPException(502, fetched.problem)
        found, jobs = fetched.value
        return {"run": asdict(found), "jobs": [asdict(job) for job in jobs], **_freshness(fetched)}

    @router.post("/runs/{run_id}/rerun", status_code=202, responses=WRITES)
    def rerun(request: Request, entity: str, run_id: int) -> Response:
        """Re-run a run: needs ``github-actions.run.rerun`` on the entity; audited either way."""
        found, _ = entity_and_slug(entity)
        htmx = request.headers.get("hx-request") == "true"
        try:
            actions.rerun(found, run_id)
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
                '<span class="notice" role="status">Re-run requested: GitHub queues it now; reload in a moment to '
                "follow it.</span>",
                202,
            )
        return JSONResponse({"status": "requested", "run": run_id, "entity": EntityRef.of(found).key}, 202)

    return router


def _note(message: str, status: int) -> HTMLResponse:
    return HTMLResponse(f'<span class="notice upstream-problem" role="status">{escape(message)}</span>', status)


def _freshness(fetched: Fetched[Any]) -> dict[str, Any]:
    return {"fetchedAt": fetched.fetched_at, "staleSince": fetched.stale_since, "problem": fetched.problem or None}
