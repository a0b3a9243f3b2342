"""Stand-ins for the demo and the tests: a metrics exporter for a real Prometheus to scrape, a Prometheus-shaped
query API for when no Prometheus binary is installed, and Grafana's dashboard search and pages.

- ``/metrics``: ``http_requests_total{service, environment, code}`` counters and an
  ``http_request_duration_seconds`` histogram per service and environment, growing with time;
- ``/prometheus/api/v1/query_range``: a made-up series for the service and environment a query names, in the
  shape Prometheus answers (``resultType: matrix``);
- ``/grafana/api/search?tag=...`` and ``/grafana/d/<uid>/<slug>``: dashboards tagged with each service.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def _unit(*parts: str) -> float:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


class Traffic:
    """Deterministic traffic per service and environment; ``troubled`` pairs fail one request in ten."""

    def __init__(
        self, services: Sequence[str], environments: Sequence[str], troubled: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.services = list(services)
        self.environments = list(environments)
        self.troubled = set(troubled)
        self.started = time.time()
        self.lock = threading.Lock()

    def rate(self, service: str, environment: str, moment: float) -> float:
        base = 5 + 40 * _unit(service, environment) * (3 if environment == "production" else 1)
        return base * (1 + 0.3 * math.sin(moment / 600 + 7 * _unit(service)))

    def error_ratio(self, service: str, environment: str, moment: float) -> float:
        if (service, environment) in self.troubled:
            return 0.1 + 0.02 * math.sin(moment / 300)
        return 0.002 + 0.004 * _unit(service, environment, "errors")

    def latency(self, service: str, environment: str, moment: float) -> float:
        return 0.08 + 0.3 * _unit(service, "latency") + 0.05 * math.sin(moment / 900 + _unit(environment))

    def exposition(self) -> str:
        """The counters as Prometheus's text format has them, as if requests had flowed since the start."""
        now = time.time()
        elapsed = now - self.started + 600  # some history already, so rate() has something at once
        lines = [
            "# HELP http_requests_total Requests served.",
            "# TYPE http_requests_total counter",
        ]
        histogram = [
            "# HELP http_request_duration_seconds Time to serve a request.",
            "# TYPE http_request_duration_seconds histogram",
        ]
        for service in self.services:
            for environment in self.environments:
                total = self.rate(service, environment, now) * elapsed
                errors = total * self.error_ratio(service, environment, now)
                labels = f'service="{service}",environment="{environment}"'
                lines.append(f'http_requests_total{{{labels},code="200"}} {total - errors:.0f}')
                lines.append(f'http_requests_total{{{labels},code="500"}} {errors:.0f}')
                typical = self.latency(service, environment, now)
                for bound in BUCKETS:
                    share = 1 - math.exp(-bound / typical * 1.6)
                    histogram.append(
                        f'http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {total * share:.0f}'
                    )
                histogram.append(f'http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {total:.0f}')
                histogram.append(f"http_request_duration_seconds_count{{{labels}}} {total:.0f}")
                histogram.append(f"http_request_duration_seconds_sum{{{labels}}} {total * typical:.1f}")
        return "\n".join(lines + histogram) + "\n"

    def series(self, query: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        """What a Prometheus would answer for one of the demo's golden-signal queries."""
        service = _label(query, "service")
        environment = _label(query, "environment")
        if service not in self.services or environment not in self.environments:
            return []
        if "histogram_quantile" in query:
            value = self.latency
        elif "code" in query:
            value = self.error_ratio
        else:
            value = self.rate
        points, moment = [], start
        while moment <= end + 1e-6:
            points.append([round(moment, 3), f"{value(service, environment, moment):.6g}"])
            moment += step
        return [{"metric": {"service": service, "environment": environment}, "values": points}]


def _label(query: str, name: str) -> str:
    found = re.search(rf'{name}\s*=\s*"([^"]*)"', query)
    return found.group(1) if found else ""


class ObservabilityStandIn:
    def __init__(self, traffic: Traffic, port: int = 0) -> None:
        self.traffic = traffic
        #: The Authorization header of each dashboard search (tests check that the token travels server-side).
        self.searched_with: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="observability-standin", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> ObservabilityStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def dashboards(self, tags: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for index, service in enumerate(self.traffic.services, start=1):
            for suffix, title in (("overview", "Overview"), ("slo", "SLOs")):
                dashboard_tags = [service, suffix]
                if all(tag in dashboard_tags for tag in tags):
                    uid = f"{service[:30]}-{suffix}"
                    found.append(
                        {
                            "id": index * 10 + len(found),
                            "uid": uid,
                            "title": f"{service} · {title}",
                            "uri": f"db/{uid}",
                            "url": f"/d/{uid}/{uid}",
                            "slug": "",
                            "type": "dash-db",
                            "tags": dashboard_tags,
                            "isStarred": False,
                        }
                    )
        return found


def _handler(standin: ObservabilityStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            tags = parse_qs(parts.query).get("tag", [])
            if parts.path == "/metrics":
                self._send(200, standin.traffic.exposition().encode(), "text/plain; version=0.0.4")
            elif parts.path == "/prometheus/api/v1/query_range":
                self._query_range(query)
            elif parts.path == "/grafana/api/search":
                standin.searched_with.append(self.headers.get("Authorization", ""))
                self._send(200, json.dumps(standin.dashboards(tags)).encode(), "application/json")
            elif parts.path.startswith("/grafana/d/"):
                uid = parts.path.split("/")[3]
                window = f"<p>from {query.get('from')} to {query.get('to')}</p>"
                page = f"<!doctype html><title>{uid}</title><h1>Dashboard {uid}</h1>{window}"
                self._send(200, page.encode(), "text/html")
            else:
                self._send(404, b'{"message":"Not found"}', "application/json")

        def _query_range(self, query: Mapping[str, str]) -> None:
            try:
                start, end, step = float(query["start"]), float(query["end"]), float(query["step"])
            except (KeyError, ValueError):
                body = {
                    "status": "error",
                    "errorType": "bad_data",
                    "error": "invalid parameter: start, end and step are needed",
                }
                self._send(400, json.dumps(body).encode(), "application/json")
                return
            result = standin.traffic.series(query.get("query", ""), start, end, max(step, 1.0))
            answer = {"status": "success", "data": {"resultType": "matrix", "result": result}}
            self._send(200, json.dumps(answer).encode(), "application/json")

    return Handler


class RealPrometheus:
    """Debian's ``prometheus`` binary on loopback, scraping ``targets`` every ``interval`` seconds."""

    def __init__(self, targets: Sequence[str], folder: Path, port: int, interval: float = 2.0) -> None:
        self.port = port
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "prometheus.yml"
        hosts = ", ".join(f'"{target}"' for target in targets)
        config.write_text(
            f"global:\n  scrape_interval: {interval:g}s\n  evaluation_interval: {interval:g}s\n"
            f"scrape_configs:\n  - job_name: services\n    static_configs:\n      - targets: [{hosts}]\n"
        )
        binary = shutil.which("prometheus") or "/usr/bin/prometheus"
        self.log = (folder / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=1d",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def available() -> bool:
        return shutil.which("prometheus") is not None

    def wait_ready(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.close()
                raise RuntimeError(f"prometheus exited with {self.process.returncode}: {self.log.name}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"prometheus on {self.url} was not ready in {seconds:g} s")

    def wait_for_data(self, query: str, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            answer = httpx.get(f"{self.url}/api/v1/query", params={"query": query}, timeout=5).json()
            if answer.get("data", {}).get("result"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"prometheus had no data for {query} after {seconds:g} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.log.close()
