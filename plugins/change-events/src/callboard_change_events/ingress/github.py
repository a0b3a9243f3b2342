"""GitHub webhook deliveries (``X-GitHub-Event``) as change events, placed by ``github.com/project-slug``.

Shapes as GitHub documents them under "Webhook events and payloads": push, release, deployment,
deployment_status, pull_request (closed and merged) and workflow_run (completed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callboard_change_events.ingress import Ignored, Refused, member
from callboard_change_events.model import ChangeEvent, match_key, parse_time

SOURCE = "github"
EVENTS = ("push", "release", "deployment", "deployment_status", "pull_request", "workflow_run")


def parse(event_name: str, delivery: str, payload: Any) -> ChangeEvent:
    if event_name == "ping":
        raise Ignored("ping: the webhook reaches Callboard")
    if event_name not in EVENTS:
        raise Ignored(f"{event_name or 'no X-GitHub-Event'}: not a change Callboard records ({', '.join(EVENTS)})")
    if not isinstance(payload, Mapping):
        raise Refused(400, "the body is not a JSON object")
    repository = member(payload, "repository")
    slug = str(repository.get("full_name") or "")
    if not slug:
        raise Refused(400, "repository.full_name is missing")
    made = _PARSERS[event_name](payload, repository)
    attributes = {"repository": slug, "delivery": delivery, "githubEvent": event_name, **made.pop("attributes", {})}
    return ChangeEvent(
        source=SOURCE,
        actor=str(member(payload, "sender").get("login") or ""),
        attributes=attributes,
        match_keys=(match_key("github.com/project-slug", slug),),
        **made,
    )


def _push(payload: Mapping[str, Any], repository: Mapping[str, Any]) -> dict[str, Any]:
    if payload.get("deleted"):
        raise Ignored("push: a branch deleted")
    ref = str(payload.get("ref") or "")
    branch = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    after = str(payload.get("after") or "")
    head = member(payload, "head_commit")
    commits = payload.get("commits") if isinstance(payload.get("commits"), list) else []
    message = str(head.get("message") or "").splitlines()[0:1]
    title = f"Push to {branch}: {message[0]}" if message else f"Push to {branch}"
    pushed = repository.get("pushed_at") or head.get("timestamp")
    return {
        "type": "push",
        "external_id": f"push/{repository.get('full_name')}/{ref}/{after}",
        "time": parse_time(pushed, "repository.pushed_at"),
        "title": title[:500],
        "url": str(payload.get("compare") or head.get("url") or ""),
        "version": after[:12],
        "attributes": {"ref": ref, "commits": len(commits or []), "forced": bool(payload.get("forced"))},
    }


def _release(payload: Mapping[str, Any], repository: Mapping[str, Any]) -> dict[str, Any]:
    if payload.get("action") not in ("published", "released"):
        raise Ignored(f"release {payload.get('action')}: only published releases are changes")
    release = member(payload, "release")
    tag = str(release.get("tag_name") or "")
    return {
        "type": "release",
        "external_id": f"release/{release.get('id')}",
        "time": parse_time(release.get("published_at") or release.get("created_at"), "release.published_at"),
        "title": f"Release {release.get('name') or tag}"[:500],
        "url": str(release.get("html_url") or ""),
        "version": tag,
        "attributes": {"prerelease": bool(release.get("prerelease"))},
    }


def _deployment(payload: Mapping[str, Any], repository: Mapping[str, Any]) -> dict[str, Any]:
    deployment = member(payload, "deployment")
    environment = str(deployment.get("environment") or "")
    version = str(deployment.get("ref") or deployment.get("sha") or "")
    return {
        "type": "deployment",
        "external_id": f"deployment/{deployment.get('id')}",
        "time": parse_time(deployment.get("created_at"), "deployment.created_at"),
        "title": f"Deploy {version} to {environment} started"[:500],
        "url": _deployment_link(deployment, repository),
        "environment": environment,
        "version": version[:200],
        "attributes": {"status": "started", "sha": deployment.get("sha"), "task": deployment.get("task")},
    }


def _deployment_status(payload: Mapping[str, Any], repository: Mapping[str, Any]) -> dict[str, Any]:
    status = member(payload, "deployment_status")
    deployment = member(payload, "deployment")
    state = str(status.get("state") or "")
    if state in ("pending", "queued", "in_progress"):
        raise Ignored(f"deployment_status {state}: recorded when the deployment ends")
    environment = str(status.get("environment") or deployment.get("environment") or "")
    version = str(deployment.get("ref") or deployment.get("sha") or "")
    link = status.get("log_url") or status.get("target_url") or _deployment_link(deployment, repository)
    return {
        "type": "deployment",
        "external_id": f"deployment_status/{status.get('id')}",
        "time": parse_time(status.get("updated_at") or status.get("created_at"), "deployment_status.created_at"),
        "title": f"Deploy {version} to {environment}: {state}"[:500],
        "url": str(link or ""),
        "environment": environment,
        "version": version[:200],
        "attributes": {"status": state, "sha": deployment.get("sha"), "deployment": deployment.get("id")},
    }


def _pull_request(payload: Mapping[str, Any], repository: Mapping[str, Any]) -> dict[str, Any]:
    pull = member(payload, "pull_request")
    if payload.get("action") != "closed" or not pull.get("merged"):
        raise Ignored(f"pull_request {payload.get('action')}: only merged pull requests are changes")
    base = member(pull, "base")
    return {
        "type": "pull-request-merged",
        "external_id": f"pull_request/{pull.get('id')}/merged",
        "time": parse_time(pull.get("merged_at"), "pull_request.merged_at"),
        "title": f"#{pull.get('number')} {pull.get('title') or ''}".strip()[:500],
        "url": str(pull.get("html_url") or ""),
        "version": str(pull.get("merge_commit_sha") or "")[:12],
        "attributes": {"base": base.get("ref"), "number": pull.get("number")},
    }


def _workflow_run(payload: Mapping[str, Any], repository: Mapping[str, Any]) -> dict[str, Any]:
    run = member(payload, "workflow_run")
    if payload.get("action") != "completed":
        raise Ignored(f"workflow_run {payload.get('action')}: recorded when the run completes")
    conclusion = str(run.get("conclusion") or "")
    return {
        "type": "build",
        "external_id": f"workflow_run/{run.get('id')}/{run.get('run_attempt') or 1}",
        "time": parse_time(run.get("updated_at") or run.get("created_at"), "workflow_run.updated_at"),
        "title": f"{run.get('name') or 'Workflow'} #{run.get('run_number')} on {run.get('head_branch')}: {conclusion}"[
            :500
        ],
        "url": str(run.get("html_url") or ""),
        "version": str(run.get("head_sha") or "")[:12],
        "attributes": {"conclusion": conclusion, "branch": run.get("head_branch"), "event": run.get("event")},
    }


def _deployment_link(deployment: Mapping[str, Any], repository: Mapping[str, Any]) -> str:
    html = str(repository.get("html_url") or "")
    return f"{html}/deployments/{deployment.get('environment')}" if html else ""


_PARSERS = {
    "push": _push,
    "release": _release,
    "deployment": _deployment,
    "deployment_status": _deployment_status,
    "pull_request": _pull_request,
    "workflow_run": _workflow_run,
}
