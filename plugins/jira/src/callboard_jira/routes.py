"""The plugin's API, ``/api/jira/``: an entity's open issues and recent activity as JSON (it writes nothing)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException

from callboard.sdk import EntityRef, EntityRefError
from callboard_jira.service import PROJECT_KEY, Issues, annotations_of, key_problem

#: What a read answers besides 200: the OpenAPI document says so (the fuzzer checks it).
READS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such entity, one the caller may not read, or one without the annotation."},
    502: {"description": "Jira could not be read and nothing was cached."},
}
#: What a write answers besides 202.
WRITES: dict[int | str, dict[str, Any]] = {
    **READS,
    400: {"description": "The request does not fit (the message says which field)."},
    403: {"description": "The caller lacks the permission on this entity."},
}


def api_router(issues: Issues) -> APIRouter:
    router = APIRouter()

    @router.get("/issues", responses=READS)
    def open_issues(entity: str) -> dict[str, Any]:
        """The entity's project: open issues (most urgent first), counts by type and status, recent activity."""
        try:
            ref = EntityRef.parse(entity.strip(), default_kind="component").key
        except EntityRefError as error:
            raise HTTPException(404, f"entity: {error}; no entity has that ref") from None
        found = issues.context.caller_catalog.entity(ref)
        if found is None:
            raise HTTPException(404, f"No entity {ref} (or you may not read it)")
        key = str(annotations_of(found).get(PROJECT_KEY) or "").strip()
        if not key:
            raise HTTPException(404, f"{ref} has no {PROJECT_KEY} annotation; add one naming its Jira project")
        problem = key_problem(key)
        if problem:
            raise HTTPException(404, problem)
        fetched = issues.summary(found)
        summary = fetched.value
        return {
            "project": {"key": summary.key, "name": summary.name, "url": summary.url} if summary else None,
            "open": [asdict(issue) for issue in summary.open.issues] if summary else [],
            "openTotal": summary.open.total if summary else None,
            "byType": dict(summary.by_type) if summary else {},
            "byStatus": [{"status": s, "category": c, "count": n} for s, c, n in summary.by_status] if summary else [],
            "recent": [asdict(issue) for issue in summary.recent.issues] if summary else [],
            "fetchedAt": fetched.fetched_at,
            "staleSince": fetched.stale_since,
            "problem": fetched.problem or None,
        }

    return router
