"""GitLab webhook deliveries (``X-Gitlab-Event``) as change events, placed by ``gitlab.com/project-slug``.

Shapes as GitLab documents them under "Webhook events": Push Hook, Merge Request Hook (merged), Deployment
Hook (finished states) and Pipeline Hook (finished states).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callboard_change_events.ingress import Ignored, Refused, member
from callboard_change_events.model import ChangeEvent, match_key, parse_time

SOURCE = "gitlab"
_FINISHED = ("success", "failed", "canceled", "skipped")


def parse(event_name: str, delivery: str, payload: Any, *, now: float) -> ChangeEvent:
    if not isinstance(payload, Mapping):
        raise Refused(400, "the body is not a JSON object")
    kind = str(payload.get("object_kind") or "")
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Ignored(f"{event_name or kind or 'no X-Gitlab-Event'}: not a change Callboard records")
    project = member(payload, "project")
    slug = str(project.get("path_with_namespace") or "")
    if not slug:
        raise Refused(400, "project.path_with_namespace is missing")
    made = parser(payload, project, now)
    attributes = {"project": slug, "delivery": delivery, "gitlabEvent": event_name, **made.pop("attributes", {})}
    user = member(payload, "user")
    actor = str(payload.get("user_username") or user.get("username") or payload.get("user_name") or "")
    return ChangeEvent(
        source=SOURCE,
        actor=actor,
        attributes=attributes,
        match_keys=(match_key("gitlab.com/project-slug", slug),),
        **made,
    )


def _push(payload: Mapping[str, Any], project: Mapping[str, Any], now: float) -> dict[str, Any]:
    after = str(payload.get("after") or "")
    if set(after) == {"0"}:
        raise Ignored("push: a branch deleted")
    ref = str(payload.get("ref") or "")
    branch = ref.removeprefix("refs/heads/")
    commits = payload.get("commits") if isinstance(payload.get("commits"), list) else []
    last = commits[-1] if commits and isinstance(commits[-1], Mapping) else {}
    title = str(last.get("title") or str(last.get("message") or "").split("\n")[0])
    # A push carries no time of its own; its last commit's is the closest, and the delivery's when absent.
    when = parse_time(last["timestamp"], "commits.timestamp") if last.get("timestamp") else now
    return {
        "type": "push",
        "external_id": f"push/{project.get('id')}/{ref}/{after}",
        "time": when,
        "title": (f"Push to {branch}: {title}" if title else f"Push to {branch}")[:500],
        "url": str(last.get("url") or project.get("web_url") or ""),
        "version": after[:12],
        "attributes": {"ref": ref, "commits": int(payload.get("total_commits_count") or len(commits or []))},
    }


def _merge_request(payload: Mapping[str, Any], project: Mapping[str, Any], now: float) -> dict[str, Any]:
    request = member(payload, "object_attributes")
    if request.get("action") != "merge" and request.get("state") != "merged":
        raise Ignored(f"merge request {request.get('action') or request.get('state')}: only merges are changes")
    return {
        "type": "pull-request-merged",
        "external_id": f"merge_request/{request.get('id')}/merged",
        "time": parse_time(request.get("updated_at") or now, "object_attributes.updated_at"),
        "title": f"!{request.get('iid')} {request.get('title') or ''}".strip()[:500],
        "url": str(request.get("url") or ""),
        "version": str(request.get("merge_commit_sha") or "")[:12],
        "attributes": {"target": request.get("target_branch"), "iid": request.get("iid")},
    }


def _deployment(payload: Mapping[str, Any], project: Mapping[str, Any], now: float) -> dict[str, Any]:
    status = str(payload.get("status") or "")
    if status not in _FINISHED:
        raise Ignored(f"deployment {status}: recorded when the deployment ends")
    environment = str(payload.get("environment") or "")
    version = str(payload.get("short_sha") or "")
    return {
        "type": "deployment",
        "external_id": f"deployment/{payload.get('deployment_id')}/{status}",
        "time": parse_time(payload.get("status_changed_at") or now, "status_changed_at"),
        "title": f"Deploy {version} to {environment}: {status}"[:500],
        "url": str(payload.get("deployable_url") or payload.get("commit_url") or ""),
        "environment": environment,
        "version": version,
        "attributes": {
            "status": status,
            "tier": payload.get("environment_tier"),
            "commit": payload.get("commit_title"),
        },
    }


def _pipeline(payload: Mapping[str, Any], project: Mapping[str, Any], now: float) -> dict[str, Any]:
    pipeline = member(payload, "object_attributes")
    status = str(pipeline.get("status") or "")
    if status not in _FINISHED:
        raise Ignored(f"pipeline {status}: recorded when the pipeline ends")
    when = pipeline.get("finished_at") or pipeline.get("created_at") or now
    url = pipeline.get("url") or f"{project.get('web_url')}/-/pipelines/{pipeline.get('id')}"
    return {
        "type": "build",
        "external_id": f"pipeline/{pipeline.get('id')}/{status}",
        "time": parse_time(when, "object_attributes.finished_at"),
        "title": f"Pipeline #{pipeline.get('iid') or pipeline.get('id')} on {pipeline.get('ref')}: {status}"[:500],
        "url": str(url),
        "version": str(pipeline.get("sha") or "")[:12],
        "attributes": {"status": status, "ref": pipeline.get("ref"), "duration": pipeline.get("duration")},
    }


_PARSERS = {"push": _push, "merge_request": _merge_request, "deployment": _deployment, "pipeline": _pipeline}
