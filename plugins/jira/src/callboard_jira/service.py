"""What the Issues tab and card ask for: a project's open issues counted by type and status, and its recent
activity, shared between viewers for a while."""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from callboard.sdk import Fetched, PluginContext, UpstreamCache, UpstreamError
from callboard_jira.jira import Found, JiraApi, project_jql
from callboard_jira.settings import Settings

PROJECT_KEY = "jira/project-key"
COMPONENT = "jira/component"
LABEL = "jira/label"
KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
#: Status categories in the order work moves through them, for the picture.
CATEGORIES = ("new", "indeterminate", "done")


def annotations_of(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    return entity.get("metadata", {}).get("annotations") or {}


def listed(value: Any) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def key_problem(key: str) -> str | None:
    if KEY.match(key):
        return None
    return f"{PROJECT_KEY}: {key!r} is not a Jira project key (letters, digits and _, starting with a letter: BOOK)"


@dataclass(frozen=True)
class Summary:
    key: str
    name: str
    url: str
    open: Found
    by_type: list[tuple[str, int]]
    by_status: list[tuple[str, str, int]]
    recent: Found


class Issues:
    def __init__(self, context: PluginContext) -> None:
        self.context = context
        self.settings: Settings = context.config
        self.cache = UpstreamCache(ttl_seconds=self.settings.cache_seconds, clock=context.now)

    def _client(self) -> httpx.Client:
        settings = self.settings
        if not settings.base_url:
            raise UpstreamError("jira.baseUrl is not set: give your Jira's address", credentials=True)
        if settings.token:
            headers = {"Authorization": f"Bearer {settings.token}"}
        elif settings.email and settings.api_token:
            pair = base64.b64encode(f"{settings.email}:{settings.api_token}".encode()).decode()
            headers = {"Authorization": f"Basic {pair}"}
        else:
            raise UpstreamError("jira: give email + apiToken (Jira Cloud) or token (Data Center)", credentials=True)
        return self.context.vendor_client("jira", settings.base_url.rstrip("/"), headers)

    def check_credential(self) -> str:
        with self._client() as http:
            return JiraApi(http, self.settings.flavour).myself()

    def summary(self, entity: Mapping[str, Any]) -> Fetched[Summary]:
        found = annotations_of(entity)
        key = str(found.get(PROJECT_KEY) or "").strip()
        base = project_jql(key, listed(found.get(COMPONENT)), listed(found.get(LABEL)))
        settings = self.settings

        def fetch() -> Summary:
            with self._client() as http:
                api = JiraApi(http, settings.flavour)
                # Three independent questions, asked at once: a first view waits for the slowest only.
                with ThreadPoolExecutor(3) as pool:
                    name = pool.submit(api.project_name, key)
                    open_jql = f"{base} AND statusCategory != Done ORDER BY priority DESC, updated DESC"
                    opened = pool.submit(api.search, open_jql, settings.max_issues)
                    recent_jql = f"{base} AND updated >= -{settings.recent_days}d ORDER BY updated DESC"
                    latest = pool.submit(api.search, recent_jql, 10)
                    project, open_issues, recent = name.result(), opened.result(), latest.result()
            types = Counter(issue.type for issue in open_issues.issues)
            statuses = Counter((issue.status, issue.category) for issue in open_issues.issues)
            by_status = sorted(
                ((status, category, count) for (status, category), count in statuses.items()),
                key=lambda item: (CATEGORIES.index(item[1]) if item[1] in CATEGORIES else 9, -item[2]),
            )
            url = f"{(settings.base_url or '').rstrip('/')}/browse/{key}"
            return Summary(key, project, url, open_issues, types.most_common(), by_status, recent)

        return self.cache.get(base, fetch)
