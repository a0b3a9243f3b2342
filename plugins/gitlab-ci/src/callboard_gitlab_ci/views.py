"""What the CI/CD tab and the latest-pipeline card show, worked out from the entity and the page's query."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callboard.sdk import EntityContext
from callboard_gitlab_ci.gitlab import FINISHED, Job
from callboard_gitlab_ci.service import SLUG, Pipelines, project_of, project_problem

EXAMPLE = f"""metadata:
  annotations:
    {SLUG}: northwind/label-printer"""
STATUSES = ("running", "pending", "success", "failed", "canceled", "skipped", "manual", "scheduled")


def tab_context(pipelines: Pipelines | None, context: EntityContext) -> Mapping[str, Any]:
    found = _project(pipelines, context)
    if "project" not in found or pipelines is None:
        return found
    project, params = found["project"], context.params
    common = {**found, "may_retry": pipelines.may_retry(context.entity), "now": pipelines.context.now()}
    pipeline_id = params.get("pipeline", "")
    if pipeline_id.isdigit():
        return {
            **common,
            "mode": "pipeline",
            "pipeline": pipelines.pipeline(project, int(pipeline_id)),
            "stages": stages,
        }
    branch = params.get("branch", "")[:200]
    status = params.get("status", "")
    status = status if status in STATUSES else ""
    page = int(params["page"]) if params.get("page", "").isdigit() and 0 < int(params["page"]) < 1000 else 1
    listed = pipelines.pipelines(project, context.ref, branch=branch, status=status, page=page)
    total = listed.value[1] if listed.value is not None else 0
    return {
        **common,
        "mode": "list",
        "listed": listed,
        "branch": branch,
        "status": status,
        "statuses": STATUSES,
        "page": page,
        "last_page": max(1, -(-total // pipelines.settings.per_page)),
        "finished": FINISHED,
    }


def stages(jobs: list[Job]) -> list[tuple[str, list[Job]]]:
    """Jobs by stage, stages in the order the pipeline runs them (the order GitLab lists their jobs in)."""
    found: dict[str, list[Job]] = {}
    for job in sorted(jobs, key=lambda job: job.id):
        found.setdefault(job.stage, []).append(job)
    return list(found.items())


def card_context(pipelines: Pipelines | None, context: EntityContext) -> Mapping[str, Any]:
    found = _project(pipelines, context)
    if "project" not in found or pipelines is None:
        return found
    return {**found, "latest": pipelines.latest(found["project"]), "now": pipelines.context.now()}


def _project(pipelines: Pipelines | None, context: EntityContext) -> dict[str, Any]:
    if pipelines is None:
        return {"unavailable": True}
    project = project_of(context.entity)
    if project is None:
        return {"missing": True, "annotation": SLUG, "example": EXAMPLE}
    problem = project_problem(project)
    if problem:
        return {"invalid": problem, "annotation": SLUG, "example": EXAMPLE}
    return {"project": project}
