"""The Jira calls the plugin makes, and their answers as small records.

Jira Cloud (REST v3): ``GET /rest/api/3/search/jql`` (paged by ``nextPageToken``), ``/project/{key}``,
``/myself``. Data Center (REST v2): ``GET /rest/api/2/search`` (paged by ``startAt``, with ``total``), and the
same two. Only reads: the plugin writes nothing to Jira.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

import httpx

from callboard.sdk import UpstreamError, check_response

T = TypeVar("T")
VENDOR = "Jira"
FIELDS = "summary,issuetype,status,priority,assignee,updated"
PAGE = 100


@dataclass(frozen=True)
class Issue:
    key: str
    summary: str
    type: str
    status: str
    category: str  # new, indeterminate or done: Jira's status categories
    priority: str
    assignee: str
    updated: float | None


@dataclass(frozen=True)
class Found:
    issues: tuple[Issue, ...]
    #: How many match; None where Jira Cloud's search does not say and more pages were left unread.
    total: int | None


def quoted(value: str) -> str:
    """A JQL string literal: quotes and backslashes escaped, so an annotation cannot add clauses."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def project_jql(key: str, components: Sequence[str], labels: Sequence[str]) -> str:
    clauses = [f"project = {quoted(key)}"]
    if components:
        clauses.append(f"component in ({', '.join(quoted(c) for c in components)})")
    if labels:
        clauses.append(f"labels in ({', '.join(quoted(label) for label in labels)})")
    return " AND ".join(clauses)


class JiraApi:
    def __init__(self, client: httpx.Client, flavour: Literal["cloud", "datacenter"]) -> None:
        self.client = client
        self.version = "3" if flavour == "cloud" else "2"

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.client.get(
            f"/rest/api/{self.version}{path}", params=params, headers={"Accept": "application/json"}
        )
        body = check_response(response, VENDOR).json()
        if not isinstance(body, Mapping):
            raise UpstreamError(f"{VENDOR} answered something other than an object; is baseUrl your Jira's address?")
        return body

    def search(self, jql: str, most: int) -> Found:
        issues: list[Issue] = []
        if self.version == "2":
            total = None
            while len(issues) < most:
                params = {"jql": jql, "fields": FIELDS, "startAt": len(issues), "maxResults": min(PAGE, most)}
                body = self._get("/search", params)
                page = body.get("issues") or []
                issues.extend(_parsed(_issue, item) for item in page)
                total = int(body.get("total") or len(issues))
                if not page or len(issues) >= total:
                    break
            return Found(tuple(issues[:most]), total)
        token: str | None = None
        while len(issues) < most:
            params = {"jql": jql, "fields": FIELDS, "maxResults": min(PAGE, most)}
            if token:
                params["nextPageToken"] = token
            body = self._get("/search/jql", params)
            issues.extend(_parsed(_issue, item) for item in body.get("issues") or [])
            token = body.get("nextPageToken")
            if body.get("isLast", True) or not token:
                return Found(tuple(issues[:most]), len(issues))
        return Found(tuple(issues[:most]), None)

    def project_name(self, key: str) -> str:
        return str(self._get(f"/project/{key}").get("name") or key)

    def myself(self) -> str:
        body = self._get("/myself")
        return str(body.get("displayName") or body.get("name") or "")


def _parsed(parse: Callable[[Any], T], item: Any) -> T:
    try:
        return parse(item)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise UpstreamError(f"{VENDOR} answered in a shape the plugin does not read ({type(error).__name__})") from None


def _issue(item: Mapping[str, Any]) -> Issue:
    fields = item["fields"]
    status = fields.get("status") or {}
    assignee = fields.get("assignee") or {}
    updated = fields.get("updated")
    return Issue(
        str(item["key"]),
        str(fields.get("summary") or ""),
        str((fields.get("issuetype") or {}).get("name") or "Issue"),
        str(status.get("name") or ""),
        str((status.get("statusCategory") or {}).get("key") or "new"),
        str((fields.get("priority") or {}).get("name") or ""),
        str(assignee.get("displayName") or ""),
        datetime.strptime(updated, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() if updated else None,
    )
