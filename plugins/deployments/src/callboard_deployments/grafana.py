"""Dashboards tagged with an entity, found through Grafana's search API (``GET /api/search?tag=...&type=dash-db``)
as Backstage's Grafana plugin finds them: the ``grafana/dashboard-selector`` annotation's tags
(``tags @> 'payments'``), else the entity's name as a tag. The call goes through the SDK's integration client
(``integrations.grafana``), so the token stays on the server."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from callboard_deployments.settings import Grafana

SELECTOR = "grafana/dashboard-selector"
TAG_SELECTOR = "grafana/tag-selector"  # the plugin's older annotation
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dashboard:
    title: str
    url: str
    tags: tuple[str, ...]


def tags_of(entity: Mapping[str, Any]) -> list[str]:
    annotations = entity.get("metadata", {}).get("annotations") or {}
    selector = str(annotations.get(SELECTOR) or "")
    if selector:
        return [a or b for a, b in _QUOTED.findall(selector)] or [selector.strip()]
    if annotations.get(TAG_SELECTOR):
        return [str(annotations[TAG_SELECTOR]).strip()]
    return [str(entity.get("metadata", {}).get("name", ""))]


class DashboardFinder:
    def __init__(self, settings: Grafana, client: Callable[[str], Any]) -> None:
        self.settings = settings
        self._client = client
        self._cache: dict[tuple[str, ...], tuple[float, list[Dashboard], str | None]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.settings.integration is not None

    def find(self, entity: Mapping[str, Any]) -> tuple[list[Dashboard], str | None]:
        """Dashboards carrying every tag, and why none could be read (None when Grafana answered)."""
        if self.settings.integration is None:
            return [], None
        tags = tuple(tags_of(entity))
        with self._lock:
            cached = self._cache.get(tags)
        if cached is not None and time.monotonic() - cached[0] < self.settings.cache_seconds:
            return cached[1], cached[2]
        problem = None
        try:
            with self._client(self.settings.integration) as http:
                response = http.get("/api/search", params={"tag": list(tags), "type": "dash-db", "limit": 20})
                base = (self.settings.url or str(http.base_url)).rstrip("/")
            if response.status_code != 200:
                raise RuntimeError(f"Grafana answered {response.status_code}")
            dashboards = [
                Dashboard(str(item.get("title", "")), base + str(item.get("url", "")), tuple(item.get("tags") or ()))
                for item in response.json() or []
                if isinstance(item, Mapping)
            ]
        except Exception as error:  # Grafana down or refusing: the page says so
            log.warning("deployments: Grafana search for %s: %s", tags, error)
            dashboards, problem = [], f"Grafana did not answer the dashboard search ({error})"[:300]
        with self._lock:
            self._cache[tags] = (time.monotonic(), dashboards, problem)
        return dashboards, problem
