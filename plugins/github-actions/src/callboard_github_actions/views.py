"""What the CI/CD tab and the latest-status card show, worked out from the entity and the page's query."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from callboard.sdk import EntityContext
from callboard_github_actions.service import ANNOTATION, Actions, slug_of, slug_problem

EXAMPLE = f"""metadata:
  annotations:
    {ANNOTATION}: northwind/booking-service"""


def tab_context(actions: Actions | None, context: EntityContext) -> Mapping[str, Any]:
    found = _project(actions, context)
    if "slug" not in found or actions is None:
        return found
    slug, params = found["slug"], context.params
    common = {**found, "may_rerun": actions.may_rerun(context.entity), "fmt": Format(actions.context.now())}
    run_id = params.get("run", "")
    if run_id.isdigit():
        return {**common, "mode": "run", "run": actions.run(slug, int(run_id))}
    workflow = params.get("workflow", "")
    workflow = workflow if workflow.isdigit() else ""
    branch = params.get("branch", "")[:200]
    page = int(params["page"]) if params.get("page", "").isdigit() and 0 < int(params["page"]) < 1000 else 1
    runs = actions.runs(slug, context.ref, workflow=workflow, branch=branch, page=page)
    total = runs.value.total if runs.value is not None else 0
    return {
        **common,
        "mode": "list",
        "runs": runs,
        "workflows": actions.workflows(slug),
        "workflow": workflow,
        "branch": branch,
        "page": page,
        "last_page": max(1, -(-total // actions.settings.per_page)),
    }


def card_context(actions: Actions | None, context: EntityContext) -> Mapping[str, Any]:
    found = _project(actions, context)
    if "slug" not in found or actions is None:
        return found
    return {**found, "latest": actions.latest(found["slug"], context.ref), "fmt": Format(actions.context.now())}


def _project(actions: Actions | None, context: EntityContext) -> dict[str, Any]:
    if actions is None:
        return {"unavailable": True}
    slug = slug_of(context.entity)
    if slug is None:
        return {"missing": True, "annotation": ANNOTATION, "example": EXAMPLE}
    problem = slug_problem(slug)
    if problem:
        return {"invalid": problem, "annotation": ANNOTATION, "example": EXAMPLE}
    return {"slug": slug, "repository_url": f"https://github.com/{slug}"}


class Format:
    """Times and durations as the tab writes them, relative to the portal's clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def ago(self, moment: float | None) -> str:
        if moment is None:
            return ""
        seconds = max(0.0, self.now - moment)
        for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
            if seconds >= size:
                return f"{int(seconds // size)} {unit} ago"
        return "just now"

    def at(self, moment: float | None) -> str:
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return ""
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
