"""Dashboards tagged with an entity, found through Grafana's search API as Backstage's Grafana plugin finds them:
the ``grafana/dashboard-selector`` annotation's tags (``tags @> 'payments'``), else the entity's name as a tag."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grafana_client.api import GrafanaApi

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
    def __init__(self, settings: Grafana) -> None:
        self.settings = settings
        self._cache: dict[tuple[str, ...], tuple[float, list[Dashboard], str | None]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.settings.url)

    def find(self, entity: Mapping[str, Any]) -> tuple[list[Dashboard], str | None]:
        """Dashboards carrying every tag, and why none could be read (None when Grafana answered)."""
        if not self.settings.url:
            return [], None
        tags = tuple(tags_of(entity))
        with self._lock:
            cached = self._cache.get(tags)
        if cached is not None and time.monotonic() - cached[0] < self.settings.cache_seconds:
            return cached[1], cached[2]
        problem = None
        try:
            # The client joins its paths to the URL as given: Grafana under a sub-path needs the slash.
            api = GrafanaApi.from_url(self.settings.url.rstrip("/") + "/", credential=self.settings.token, timeout=5.0)
            try:
                found = api.search.search_dashboards(tag=list(tags), type_="dash-db", limit=20)
            finally:
                api.client.s.close()
            base = self.settings.url.rstrip("/")
            dashboards = [
                Dashboard(str(item.get("title", "")), base + str(item.get("url", "")), tuple(item.get("tags") or ()))
                for item in found or []
            ]
        except Exception as error:  # Grafana down or refusing: the page says so
            log.warning("deployments: Grafana search for %s: %s", tags, error)
            dashboards, problem = [], f"Grafana did not answer the dashboard search ({type(error).__name__})"
        with self._lock:
            self._cache[tags] = (time.monotonic(), dashboards, problem)
        return dashboards, problem
