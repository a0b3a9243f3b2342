"""Prometheus metrics at /metrics, on SQLite and PostgreSQL, scraped by a real Prometheus (Debian's binary) with
the portal's service token, as an operator would set it up."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from callboard.app import Runtime
from tests.catalog.fixtures import config, write_catalog
from tests.proxy.upstream import RecordingUpstream
from tests.support import AUTH, TEST_TOKEN, Server, database_for, free_port, make_runtime


@dataclass
class Portal:
    url: str
    runtime: Runtime


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    tmp = tmp_path_factory.mktemp(str(request.param))
    with database_for(str(request.param), tmp) as database, RecordingUpstream() as upstream:
        settings = config(write_catalog(tmp / "repo"), database)
        settings["proxy"] = {"endpoints": {"/status": {"target": upstream.url}}}
        settings["permission"] = {"rules": [{"permission": "proxy.status", "principals": ["service:tests"]}]}
        runtime = make_runtime(settings, tmp)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            with Server(runtime.web) as server:
                yield Portal(server.url, runtime)
        finally:
            runtime.close()


def _samples(portal: Portal) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{portal.url}/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_need_an_identity(portal: Portal) -> None:
    assert httpx.get(f"{portal.url}/metrics").status_code == 401


def test_requests_are_counted_by_route_template_and_status(portal: Portal) -> None:
    for name in ("artist-web", "no-such-thing"):
        httpx.get(f"{portal.url}/api/catalog/entities/by-name/component/default/{name}", headers=AUTH)
    httpx.get(f"{portal.url}/nowhere/at/all", headers=AUTH)
    samples = _samples(portal)
    route = "/api/catalog/entities/by-name/{kind}/{namespace}/{name}"
    found = {
        dict(labels)["status"]: value
        for (name, labels), value in samples.items()
        if name == "callboard_http_requests_total" and dict(labels)["route"] == route
    }
    assert found == {"200": 1.0, "404": 1.0}  # one series per template, not per entity asked for
    unmatched = ("callboard_http_requests_total", (("method", "GET"), ("route", "<unmatched>"), ("status", "404")))
    assert samples[unmatched] >= 1
    latency = ("callboard_http_request_duration_seconds_count", (("method", "GET"), ("route", route)))
    assert samples[latency] == 2


def test_catalog_and_background_work_are_reported(portal: Portal) -> None:
    samples = _samples(portal)
    total = len(httpx.get(f"{portal.url}/api/catalog/entities", headers=AUTH).json())
    assert samples[("callboard_catalog_entities", ())] == total > 0
    assert samples[("callboard_catalog_processing_queue", ())] == 0
    assert samples[("callboard_catalog_stitch_queue", ())] == 0
    assert samples[("callboard_catalog_processed_items_total", ())] >= total
    assert samples[("callboard_search_index_lag_seconds", ())] > 0  # nothing indexed yet: the changes wait
    portal.runtime.indexer.run_once()
    assert _samples(portal)[("callboard_search_index_lag_seconds", ())] == 0


def test_proxied_calls_are_counted_by_endpoint(portal: Portal) -> None:
    assert httpx.get(f"{portal.url}/api/proxy/status/ok", headers=AUTH).status_code == 200
    assert httpx.get(f"{portal.url}/api/proxy/elsewhere", headers=AUTH).status_code == 404
    samples = _samples(portal)
    assert samples[("callboard_proxy_requests_total", (("endpoint", "status"), ("status", "200")))] == 1
    assert samples[("callboard_proxy_requests_total", (("endpoint", "<unmatched>"), ("status", "404")))] == 1
    assert samples[("callboard_proxy_request_duration_seconds_count", (("endpoint", "status"),))] == 1
    proxied = (
        "callboard_http_requests_total",
        (("method", "GET"), ("route", "/api/proxy/{rest:path}"), ("status", "200")),
    )
    assert samples[proxied] == 1  # the proxy's own route, not <unmatched>


def test_template_runs_are_reported_by_status(portal: Portal) -> None:
    samples = _samples(portal)
    assert not [key for key in samples if key[0] == "callboard_scaffolder_tasks"]  # no runs yet, no series


# -- a real Prometheus --------------------------------------------------------------------------------------


class Prometheus:
    """Debian's prometheus on loopback, scraping the portal's /metrics every second with a bearer token."""

    def __init__(self, target: str, folder: Path) -> None:
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "token").write_text(TEST_TOKEN, "utf-8")
        (folder / "prometheus.yml").write_text(
            "global:\n  scrape_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: callboard\n"
            "    metrics_path: /metrics\n"
            f"    authorization: {{type: Bearer, credentials_file: {folder / 'token'}}}\n"
            f"    static_configs: [{{targets: ['{target}']}}]\n",
            "utf-8",
        )
        binary = shutil.which("prometheus")
        assert binary, "Debian's prometheus is expected on PATH (apt-get install prometheus; .ci/run does)"
        self.log = (folder / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def query(self, expression: str) -> list[dict[str, Any]]:
        response = httpx.get(f"http://127.0.0.1:{self.port}/api/v1/query", params={"query": expression}, timeout=5)
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result

    def wait_for(self, expression: str, seconds: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, Path(self.log.name).read_text("utf-8")[-2000:]
            try:
                found = self.query(expression)
            except (httpx.HTTPError, ValueError):  # not listening yet, or "Service Unavailable" while it starts
                found = []
            if found:
                return found
            time.sleep(0.5)
        raise AssertionError(f"Prometheus found nothing for {expression}: {Path(self.log.name).read_text('utf-8')}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


def test_a_real_prometheus_scrapes_the_portal_with_its_token(portal: Portal, tmp_path: Path) -> None:
    prometheus = Prometheus(portal.url.removeprefix("http://"), tmp_path / "prometheus")
    try:
        up = prometheus.wait_for('up{job="callboard"} == 1')
        assert up[0]["metric"]["instance"] == portal.url.removeprefix("http://")
        entities = prometheus.wait_for("callboard_catalog_entities")
        total = len(httpx.get(f"{portal.url}/api/catalog/entities", headers=AUTH).json())
        assert float(entities[0]["value"][1]) == total
        # Prometheus's own scrapes are requests like any other: counted under the /metrics route.
        assert prometheus.wait_for('callboard_http_requests_total{route="/metrics",status="200"}')
    finally:
        prometheus.stop()
