"""The GitLab REST v4 calls the plugin makes, and their answers as small records.

Reads: ``GET /projects/{id}`` (the default branch), ``GET /projects/{id}/pipelines`` (``ref``, ``status``,
``per_page``, ``page``), ``GET /projects/{id}/pipelines/{pipeline}`` and ``.../jobs``. The one write:
``POST /projects/{id}/pipelines/{pipeline}/retry`` (retries the pipeline's failed and cancelled jobs).
``{id}`` is the project's numeric id or its URL-encoded path (``group%2Fproject``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from callboard.sdk import UpstreamError, check_response

T = TypeVar("T")
VENDOR = "GitLab"
#: A pipeline that has ended; Retry is offered for the ones that can be retried.
FINISHED = frozenset({"success", "failed", "canceled", "skipped"})


@dataclass(frozen=True)
class Pipeline:
    id: int
    iid: int
    ref: str
    sha: str
    status: str
    source: str
    created: float | None
    updated: float | None
    url: str
    user: str = ""
    seconds: float | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True)
class Job:
    id: int
    name: str
    stage: str
    status: str
    seconds: float | None
    url: str


def project_path(project: str) -> str:
    """``group/sub/project`` as GitLab wants it in a path: URL-encoded, slashes included; an id as it is."""
    return project if project.isdigit() else quote(project, safe="")


class GitLabCi:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return check_response(self.client.get(path, params=params), VENDOR).json()

    def default_branch(self, project: str) -> str:
        body = self._get(f"/projects/{project_path(project)}")
        if not isinstance(body, Mapping):
            raise UpstreamError(f"{VENDOR} answered without a project; is apiBaseUrl GitLab's API (…/api/v4)?")
        return str(body.get("default_branch") or "main")

    def pipelines(
        self, project: str, *, ref: str = "", status: str = "", per_page: int = 20, page: int = 1
    ) -> tuple[list[Pipeline], int]:
        params: dict[str, Any] = {"per_page": per_page, "page": page, "order_by": "id", "sort": "desc"}
        if ref:
            params["ref"] = ref
        if status:
            params["status"] = status
        response = check_response(
            self.client.get(f"/projects/{project_path(project)}/pipelines", params=params), VENDOR
        )
        items = response.json()
        if not isinstance(items, list):
            raise UpstreamError(f"{VENDOR} answered pipelines with something other than a list")
        total = response.headers.get("x-total")
        found = [_parsed(_pipeline, item) for item in items]
        return found, int(total) if total and total.isdigit() else len(found)

    def pipeline(self, project: str, pipeline_id: int) -> tuple[Pipeline, list[Job]]:
        base = f"/projects/{project_path(project)}/pipelines/{pipeline_id}"
        pipeline = _parsed(_pipeline, self._get(base))
        jobs = self._get(f"{base}/jobs", {"per_page": 100, "include_retried": "false"})
        return pipeline, [_parsed(_job, item) for item in (jobs if isinstance(jobs, list) else [])]

    def retry(self, project: str, pipeline_id: int) -> None:
        check_response(self.client.post(f"/projects/{project_path(project)}/pipelines/{pipeline_id}/retry"), VENDOR)

    def token_self(self) -> None:
        self._get("/personal_access_tokens/self")


def _parsed(parse: Callable[[Any], T], item: Any) -> T:
    try:
        return parse(item)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise UpstreamError(f"{VENDOR} answered in a shape the plugin does not read ({type(error).__name__})") from None


def _time(raw: Any) -> float | None:
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp() if raw else None


def _pipeline(item: Mapping[str, Any]) -> Pipeline:
    user = item.get("user") or {}
    duration = item.get("duration")
    return Pipeline(
        int(item["id"]),
        int(item.get("iid") or item["id"]),
        str(item.get("ref") or ""),
        str(item.get("sha") or ""),
        str(item["status"]),
        str(item.get("source") or ""),
        _time(item.get("created_at")),
        _time(item.get("updated_at")),
        str(item.get("web_url") or ""),
        str(user.get("name") or user.get("username") or ""),
        float(duration) if isinstance(duration, int | float) else None,
    )


def _job(item: Mapping[str, Any]) -> Job:
    duration = item.get("duration")
    return Job(
        int(item["id"]),
        str(item["name"]),
        str(item.get("stage") or ""),
        str(item["status"]),
        float(duration) if isinstance(duration, int | float) else None,
        str(item.get("web_url") or ""),
    )
