"""Golden signals (request rate, error ratio, latency p95) per entity and environment, from the PromQL templates
in config, queried on the server through the Prometheus integration: the browser never holds its token."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from callboard_deployments.links import fill
from callboard_deployments.settings import Signals

log = logging.getLogger(__name__)

TITLES = {"requestRate": "Requests/s", "errorRatio": "Errors", "latencyP95": "p95 latency"}


def shown(name: str, value: float) -> str:
    """A signal's value as people read it: requests per second, errors in per cent, latency in milliseconds."""
    if name == "errorRatio":
        return f"{value * 100:.2g} %"
    if name == "latencyP95":
        return f"{value * 1000:.0f} ms"
    return f"{value:.3g}/s" if name == "requestRate" else f"{value:.3g}"


@dataclass(frozen=True)
class Series:
    name: str
    points: list[float]
    #: Why there are no points (the query failed, or Prometheus has no data for it).
    problem: str | None = None

    @property
    def last(self) -> float | None:
        return self.points[-1] if self.points else None


@dataclass
class Health:
    """The signals of one entity in one environment; ``colour`` is what the matrix paints."""

    environment: str
    series: dict[str, Series] = field(default_factory=dict)
    colour: str = "unknown"


class SignalReader:
    def __init__(self, settings: Signals, client: Callable[[str], Any], now: Callable[[], float]) -> None:
        self.settings = settings
        self._client = client
        self._now = now
        self._cache: dict[tuple[str, str], tuple[float, Health]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.settings.templates())

    def health(self, entity: Mapping[str, Any], environment: str, namespace: str = "") -> Health:
        key = (str(entity.get("metadata", {}).get("name")), environment)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.settings.cache_seconds:
            return cached[1]
        found = self._query(entity, environment, namespace)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (time.monotonic(), found)
        return found

    def _query(self, entity: Mapping[str, Any], environment: str, namespace: str) -> Health:
        end = self._now()
        start = end - self.settings.window_minutes * 60
        step = max(1.0, (end - start) / (self.settings.points - 1))
        values = {"environment": environment, "namespace": namespace}
        health = Health(environment)
        try:
            with self._client(self.settings.integration) as http:
                for name, template in self.settings.templates().items():
                    query = fill(template, entity, values, quote=False)
                    health.series[name] = _series(http, name, query, start, end, step)
        except Exception as error:  # Prometheus down: the page says so instead of failing
            log.warning("deployments: signals for %s: %s", entity.get("metadata", {}).get("name"), error)
            for name in self.settings.templates():
                health.series.setdefault(name, Series(name, [], f"Prometheus did not answer: {type(error).__name__}"))
        health.colour = _colour(health, self.settings.error_threshold)
        return health


def _series(http: Any, name: str, query: str, start: float, end: float, step: float) -> Series:
    response = http.get(
        "/api/v1/query_range",
        params={"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:.3f}"},
    )
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code != 200 or body.get("status") != "success":
        return Series(name, [], f"{body.get('errorType', response.status_code)}: {body.get('error', '')}".strip(": "))
    result = body.get("data", {}).get("result") or []
    if not result:
        return Series(name, [], "no data for this query in the window")
    points = []
    for _, value in result[0].get("values") or []:
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if not math.isnan(number):  # no requests, so no ratio: left out
            points.append(number)
    return Series(name, points, None if points else "no data for this query in the window")


def _colour(health: Health, threshold: float) -> str:
    errors = health.series.get("errorRatio")
    if errors is None or errors.last is None:
        return "unknown"
    if errors.last >= threshold:
        return "bad"
    return "warn" if errors.last >= threshold / 2 else "good"


def sparkline(points: list[float], width: int = 120, height: int = 28) -> str:
    """A small SVG line of ``points`` (scaled to their own range), for an entity page's signal cells."""
    if len(points) < 2:
        return ""
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    step = width / (len(points) - 1)
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{i * step:.1f},{height - 2 - (p - low) / span * (height - 4):.1f}"
        for i, p in enumerate(points)
    )
    return (
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="from {points[0]:.3g} to {points[-1]:.3g}"><path d="{path}" fill="none" stroke="currentColor" '
        'stroke-width="1.5"/></svg>'
    )
