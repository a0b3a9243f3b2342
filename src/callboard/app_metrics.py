"""What the portal reports to Prometheus beside its requests: read from the running parts when scraped.

Gauges are read at scrape time from the database (the catalog's queue, scheduled tasks' last runs, template
runs by status, the search index's lag), so every replica reports the same shared state and nothing is lost
when one restarts. Counters that only this process sees (catalog items processed here, audited calls made
here) are ordinary counters. Part of the composition root.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


@dataclass
class PortalParts:
    """The readings the collector takes; each is a call into a running service."""

    catalog_status: Callable[[], Mapping[str, Any]]
    entity_total: Callable[[], int]
    search_lag: Callable[[float], float]
    scheduler_status: Callable[[], list[Any]]
    task_counts: Callable[[], Mapping[str, int]]


class PortalCollector(Collector):
    def __init__(self, parts: PortalParts, clock: Callable[[], float] = time.time) -> None:
        self.parts = parts
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        # One failing reading (a database hiccup) must not hide the others, or fail the scrape.
        for reading in (self._catalog, self._search, self._scheduler, self._tasks):
            try:
                yield from reading()
            except Exception:
                log.exception("metrics: %s could not be read", reading.__name__.strip("_"))

    def _catalog(self) -> Iterator[Metric]:
        status = self.parts.catalog_status()
        yield GaugeMetricFamily(
            "callboard_catalog_processing_queue", "Catalog items waiting to be processed", int(status["pending"])
        )
        yield CounterMetricFamily(
            "callboard_catalog_processed_items",
            "Catalog items processed by this process's engine",
            int(status["processed"]),
        )
        yield GaugeMetricFamily(
            "callboard_catalog_stitch_queue", "Entities waiting to be stitched", int(status.get("stitching", 0))
        )
        yield GaugeMetricFamily("callboard_catalog_entities", "Entities in the catalog", self.parts.entity_total())

    def _search(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "callboard_search_index_lag_seconds",
            "How long the oldest catalog change not yet searchable has waited",
            round(self.parts.search_lag(self.clock()), 3),
        )

    def _scheduler(self) -> Iterator[Metric]:
        last_run = GaugeMetricFamily(
            "callboard_scheduled_task_last_run_timestamp_seconds",
            "When each scheduled task last started",
            labels=("task", "status"),
        )
        duration = GaugeMetricFamily(
            "callboard_scheduled_task_last_duration_seconds", "How long each task's last run took", labels=("task",)
        )
        running = GaugeMetricFamily(
            "callboard_scheduled_task_running", "1 while a replica runs the task", labels=("task",)
        )
        for status in self.parts.scheduler_status():
            running.add_metric([status.id], 1.0 if status.running_on else 0.0)
            if status.runs:
                run = status.runs[0]
                last_run.add_metric([status.id, run.status], run.started_at)
                if run.finished_at is not None:
                    duration.add_metric([status.id], run.finished_at - run.started_at)
        yield from (last_run, duration, running)

    def _tasks(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("callboard_scaffolder_tasks", "Template runs, by status", labels=("status",))
        for status, count in sorted(self.parts.task_counts().items()):
            family.add_metric([status], count)
        yield family


class AuditMetrics:
    """Counts every audited call as it is recorded: proxied calls by endpoint and status, and every action."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.actions = Counter(
            "callboard_audited_actions",
            "Audited actions, by action and status",
            ("action", "status"),
            registry=registry,
        )
        self.proxy = Counter(
            "callboard_proxy_requests",
            "Proxied calls, by endpoint and status",
            ("endpoint", "status"),
            registry=registry,
        )
        self.proxy_latency = Histogram(
            "callboard_proxy_request_duration_seconds",
            "Time proxied calls took, by endpoint",
            ("endpoint",),
            registry=registry,
        )

    def __call__(self, entry: Mapping[str, Any]) -> None:
        status = "" if entry.get("status") is None else str(entry["status"])
        self.actions.labels(str(entry["action"]), status).inc()
        if entry["action"] == "proxy.request":
            # The target is "proxy.<endpoint>" once an endpoint matched; a path no endpoint serves is one series.
            target = str(entry["target"])
            endpoint = target.removeprefix("proxy.") if target.startswith("proxy.") else "<unmatched>"
            self.proxy.labels(endpoint, status).inc()
            if entry.get("duration_ms") is not None:
                self.proxy_latency.labels(endpoint).observe(float(entry["duration_ms"]) / 1000)


def portal_registry(parts: PortalParts) -> tuple[CollectorRegistry, AuditMetrics]:
    """A registry of this portal's own (not the process-wide default: tests run many portals in one process)."""
    registry = CollectorRegistry()
    registry.register(PortalCollector(parts))
    return registry, AuditMetrics(registry)
