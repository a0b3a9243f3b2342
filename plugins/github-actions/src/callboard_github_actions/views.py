"""What the CI/CD tab and the latest-status card show, worked out from the entity and the page's query."""

from __future__ import annotations

from collections.abc import Mapping
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
    common = {**found, "may_rerun": actions.may_rerun(context.entity), "now": actions.context.now()}
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
    return {**found, "latest": actions.latest(found["slug"], context.ref), "now": actions.context.now()}


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
