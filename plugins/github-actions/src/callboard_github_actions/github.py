"""The GitHub REST calls the plugin makes, and their answers as small records.

Reads: ``GET /repos/{slug}`` (the default branch), ``GET /repos/{slug}/actions/workflows``,
``GET /repos/{slug}/actions/runs`` (``branch``, ``per_page``, ``page``; or under a workflow),
``GET /repos/{slug}/actions/runs/{id}`` and ``.../jobs``. The one write: ``POST .../runs/{id}/rerun``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from callboard.sdk import UpstreamError, check_response

VENDOR = "GitHub"
SLUG = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Run:
    id: int
    workflow: str
    workflow_id: int
    path: str
    number: int
    title: str
    branch: str
    sha: str
    actor: str
    event: str
    status: str
    conclusion: str | None
    started: float | None
    updated: float | None
    url: str
    attempt: int

    @property
    def outcome(self) -> str:
        """One word for the badge: success, failure, cancelled, skipped... or queued / in_progress while it runs."""
        return self.conclusion or self.status

    @property
    def finished(self) -> bool:
        return self.status == "completed"

    @property
    def seconds(self) -> float | None:
        if not self.finished or self.started is None or self.updated is None:
            return None
        return max(0.0, self.updated - self.started)


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    status: str
    conclusion: str | None
    started: float | None
    completed: float | None

    @property
    def outcome(self) -> str:
        return self.conclusion or self.status


@dataclass(frozen=True)
class Job:
    id: int
    name: str
    status: str
    conclusion: str | None
    started: float | None
    completed: float | None
    url: str
    steps: tuple[Step, ...]

    @property
    def outcome(self) -> str:
        return self.conclusion or self.status

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.completed is None:
            return None
        return max(0.0, self.completed - self.started)


@dataclass(frozen=True)
class Workflow:
    id: int
    name: str
    path: str


@dataclass(frozen=True)
class RunsPage:
    runs: tuple[Run, ...]
    total: int


class GitHubActions:
    """Calls through the portal's integration client (credentials attached on the server, writes audited)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.client.get(path, params=params, headers={"Accept": "application/vnd.github+json"})
        return check_response(response, VENDOR).json()

    def default_branch(self, slug: str) -> str:
        return str(_field(self._get(f"/repos/{slug}"), "default_branch"))

    def workflows(self, slug: str) -> list[Workflow]:
        body = self._get(f"/repos/{slug}/actions/workflows", {"per_page": 100})
        return [_parsed(_workflow, item) for item in _field(body, "workflows")]

    def runs(self, slug: str, *, workflow: str = "", branch: str = "", per_page: int = 20, page: int = 1) -> RunsPage:
        path = f"/repos/{slug}/actions/workflows/{workflow}/runs" if workflow else f"/repos/{slug}/actions/runs"
        params: dict[str, Any] = {"per_page": per_page, "page": page}
        if branch:
            params["branch"] = branch
        body = self._get(path, params)
        runs = tuple(_parsed(_run, item) for item in _field(body, "workflow_runs"))
        return RunsPage(runs, int(body.get("total_count") or len(runs)))

    def run(self, slug: str, run_id: int) -> tuple[Run, list[Job]]:
        run = _parsed(_run, self._get(f"/repos/{slug}/actions/runs/{run_id}"))
        body = self._get(f"/repos/{slug}/actions/runs/{run_id}/jobs", {"per_page": 100})
        return run, [_parsed(_job, item) for item in _field(body, "jobs")]

    def rerun(self, slug: str, run_id: int) -> None:
        check_response(self.client.post(f"/repos/{slug}/actions/runs/{run_id}/rerun"), VENDOR)

    def rate_limit(self) -> None:
        self._get("/rate_limit")


def _field(body: Any, name: str) -> Any:
    if not isinstance(body, Mapping) or name not in body:
        raise UpstreamError(f"{VENDOR} answered without {name!r}; is apiBaseUrl GitHub's REST API?")
    return body[name]


def _parsed(parse: Any, item: Any) -> Any:
    try:
        return parse(item)
    except (KeyError, TypeError, ValueError) as error:
        raise UpstreamError(
            f"{VENDOR} answered in a shape the plugin does not read ({type(error).__name__}: {error})"
        ) from None


def _time(raw: Any) -> float | None:
    if not raw:
        return None
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()


def _workflow(item: Mapping[str, Any]) -> Workflow:
    return Workflow(int(item["id"]), str(item["name"]), str(item.get("path") or ""))


def _run(item: Mapping[str, Any]) -> Run:
    actor = item.get("triggering_actor") or item.get("actor") or {}
    commit = item.get("head_commit") or {}
    title = item.get("display_title") or str(commit.get("message") or "").split("\n", 1)[0]
    return Run(
        id=int(item["id"]),
        workflow=str(item.get("name") or "workflow"),
        workflow_id=int(item.get("workflow_id") or 0),
        path=str(item.get("path") or ""),
        number=int(item.get("run_number") or 0),
        title=str(title),
        branch=str(item.get("head_branch") or ""),
        sha=str(item.get("head_sha") or ""),
        actor=str(actor.get("login") or ""),
        event=str(item.get("event") or ""),
        status=str(item["status"]),
        conclusion=item.get("conclusion"),
        started=_time(item.get("run_started_at") or item.get("created_at")),
        updated=_time(item.get("updated_at")),
        url=str(item.get("html_url") or ""),
        attempt=int(item.get("run_attempt") or 1),
    )


def _job(item: Mapping[str, Any]) -> Job:
    steps = tuple(
        Step(
            int(step.get("number") or index),
            str(step["name"]),
            str(step.get("status") or ""),
            step.get("conclusion"),
            _time(step.get("started_at")),
            _time(step.get("completed_at")),
        )
        for index, step in enumerate(item.get("steps") or [], start=1)
    )
    return Job(
        int(item["id"]),
        str(item["name"]),
        str(item["status"]),
        item.get("conclusion"),
        _time(item.get("started_at")),
        _time(item.get("completed_at")),
        str(item.get("html_url") or ""),
        steps,
    )
