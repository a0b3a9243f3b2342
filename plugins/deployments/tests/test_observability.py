"""Links, dashboards and golden signals on the Deployments tab: PromQL templates queried on the server against a
real Prometheus (Debian's binary, scraping a small exporter the test starts), Grafana's search API for dashboards
tagged with the entity, and log and dashboard links opened around a chosen change."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from callboard.sdk.testing import FakeClock, Portal
from callboard_deployments.standins.observability import ObservabilityStandIn, RealPrometheus, Traffic
from tests.conftest import callboard_config as base_config
from tests.support import iso

TAB = "/catalog/default/component/payments-api/deployments"
WHERE = 'service="${{ entity.metadata.name }}",environment="${{ environment }}"'
RATE = f"sum(rate(http_requests_total{{{WHERE}}}[1m]))"
BUCKETS = "http_request_duration_seconds_bucket"


@pytest.fixture
def clock() -> FakeClock:
    """Prometheus holds today's samples: the portal's clock starts at the real time here."""
    return FakeClock(time.time())


@pytest.fixture(scope="module")
def traffic() -> Iterator[ObservabilityStandIn]:
    standin = ObservabilityStandIn(Traffic(["payments-api"], ["staging", "production"], [("payments-api", "staging")]))
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def prometheus(traffic: ObservabilityStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealPrometheus]:
    from callboard.sdk.testing import free_port

    running = RealPrometheus(
        [traffic.url.removeprefix("http://")], tmp_path_factory.mktemp("prometheus"), free_port(), 1.0
    )
    try:
        running.wait_ready()
        # Samples from a few steps of the range query ago (5 minutes in 120 points: 2.5 s), so the lines have points.
        running.wait_for_data('rate(http_requests_total{service="payments-api"}[1m] offset 12s)')
        yield running
    finally:
        running.stop()


@pytest.fixture
def callboard_config(
    request: pytest.FixtureRequest,
    catalog_file: Path,
    kubernetes: Any,
    prometheus: RealPrometheus,
    traffic: ObservabilityStandIn,
) -> dict[str, Any]:
    config = base_config.__wrapped__(catalog_file, kubernetes)  # type: ignore[attr-defined]
    config["integrations"] = {
        "prometheus": [{"host": "prometheus.internal", "apiBaseUrl": prometheus.url}],
        "grafana": [{"host": "grafana.internal", "apiBaseUrl": f"{traffic.url}/grafana", "token": "grafana-sa-token"}],
    }
    config["deployments"] |= {
        "signals": {
            "requestRate": RATE,
            "errorRatio": f'sum(rate(http_requests_total{{{WHERE},code=~"5.."}}[1m])) / {RATE}',
            "latencyP95": f"histogram_quantile(0.95, sum by (le) (rate({BUCKETS}{{{WHERE}}}[1m])))",
            "windowMinutes": 5,
            "points": 120,
        },
        "grafana": {"integration": "grafana", "url": "https://grafana.example.com"},
        "links": [
            {
                "title": "Logs",
                "kind": "logs",
                "url": "https://grafana.example.com/explore?"
                "cluster=${{ cluster }}&ns=${{ namespace }}&from=${{ from }}&to=${{ to }}",
            },
            {
                "title": "Datadog",
                "kind": "dashboard",
                "environments": ["production"],
                "url": "https://app.datadoghq.com/apm/services/${{ entity.metadata.name }}"
                "?env=${{ environment }}&version=${{ version }}",
            },
            {"title": "Broken", "url": "https://example.com/${{ nonsense }}"},
        ],
    }
    marker = request.node.get_closest_marker("signals")
    if marker is not None:  # a test's own signal queries or Grafana
        changed = dict(marker.args[0])
        config["deployments"]["grafana"] = changed.pop("grafana", config["deployments"]["grafana"])
        config["deployments"]["signals"] |= changed
    return config


@pytest.fixture(autouse=True)
def watched(portal: Portal) -> None:
    portal.process_catalog()
    assert portal.run_task("deployments.kubernetes") == "succeeded"


def links_of(page: str, title: str) -> list[str]:
    return [html.unescape(url) for url in re.findall(rf'<a class="link-\w+" href="([^"]+)"[^>]*>{title}</a>', page)]


def test_signals_come_from_prometheus_as_sparklines_and_colour(portal: Portal, client: httpx.Client) -> None:
    page = client.get(TAB).text
    assert page.count('class="sparkline"') == 6, "three signals for each of two environments"
    assert "Requests/s" in page and "p95 latency" in page
    # staging fails one request in ten (above the 5 % threshold): red; production is quiet: green
    assert 'class="env health-bad"' in page and 'class="env health-good"' in page


def test_logs_and_dashboard_links_are_computed_per_place(portal: Portal, client: httpx.Client) -> None:
    page = client.get(TAB).text
    logs = {parse_qs(urlsplit(url).query)["cluster"][0]: url for url in links_of(page, "Logs")}
    assert set(logs) == {"prod-eu", "staging-eu"}
    query = parse_qs(urlsplit(logs["prod-eu"]).query)
    assert query["ns"] == ["payments"]
    assert int(query["to"][0]) - int(query["from"][0]) == 3_600_000  # the last hour by default
    [datadog] = links_of(page, "Datadog")  # only production's
    assert "env=production" in datadog and "version=1.4.2" in datadog and "/services/payments-api?" in datadog
    assert "deployments.links &#39;Broken&#39;" in page and "nonsense" in page  # a broken template says so


def test_links_open_around_a_chosen_change(portal: Portal, client: httpx.Client) -> None:
    moment = int(portal.clock()) - 7200  # whole seconds, as a change's time is given
    page = client.get(TAB, params={"at": iso(moment)}).text
    [logs] = [url for url in links_of(page, "Logs") if "prod-eu" in url]
    query = parse_qs(urlsplit(logs).query)
    assert int(query["from"][0]) == int((moment - 1800) * 1000) and int(query["to"][0]) == int((moment + 1800) * 1000)


def test_dashboards_tagged_with_the_entity_come_from_grafana(
    portal: Portal, client: httpx.Client, traffic: ObservabilityStandIn
) -> None:
    page = client.get(TAB).text
    assert traffic.searched_with[-1] == "Bearer grafana-sa-token"  # sent by the server; the page never holds it
    assert "grafana-sa-token" not in page
    assert "payments-api · Overview" in page and "payments-api · SLOs" in page
    assert 'href="https://grafana.example.com/d/payments-api-overview/payments-api-overview"' in page
    checkout = client.get("/catalog/default/component/checkout-web/deployments")
    assert checkout.status_code in (200, 404)  # no workloads: the tab may not apply; never an error


@pytest.mark.signals({"errorRatio": 'sum(rate(http_requests_total{service=~"("}[1m]))'})
def test_a_query_prometheus_refuses_is_shown_not_raised(portal: Portal, client: httpx.Client) -> None:
    response = client.get(TAB)
    assert response.status_code == 200
    assert "bad_data" in response.text and "sparkline" in response.text  # the other two signals still draw


@pytest.mark.signals({"grafana": {"integration": "prometheus"}})  # a server that has no /api/search
def test_grafana_down_is_said_on_the_page(portal: Portal, client: httpx.Client) -> None:
    response = client.get(TAB)
    assert response.status_code == 200 and "Grafana did not answer the dashboard search" in response.text
