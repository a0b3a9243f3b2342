"""The demo with the deployments plugin (installed by make install): stand-in clusters in three environments and
three markets run the demo's services; a component's Deployments tab shows versions per environment, market and
cluster with the drifted market highlighted and links to its logs and dashboards, and a rollout sent to a
stand-in cluster the way kubectl sends it shows on the open page within seconds."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from callboard.core.identity import Identity
from tests.web.ui.conftest import Portal, running_portal

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"
BOOKING = "/api/deployments/entities/component/default/booking-service"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    # Each run of the watching task lasts 3 s here (10 minutes by default), each watch request 1 s.
    extra = {"deployments": {"demo": True, "watch": {"runMinutes": 0.05, "watchSeconds": 1}}}
    with running_portal(tmp_path_factory.mktemp("deployments-demo"), extra=extra) as running:
        run = running.runtime.scheduler.run_now("deployments.demo", by="test")
        assert run.error is None, run.error
        yield running


def token(demo: Portal) -> str:
    return demo.runtime.auth.tokens.issue(Identity("user", "user:default/guest", ("user:default/guest",), "Guest"))


class Watching:
    """The Kubernetes task, run again and again as the scheduler runs it (each run a few seconds here)."""

    def __init__(self, demo: Portal) -> None:
        self.demo = demo
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self) -> None:
        while not self.stop.is_set():
            self.demo.runtime.scheduler.run_now("deployments.kubernetes", by="test")

    def __enter__(self) -> Watching:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(60)


def wait_for(check: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within 20 s"
        time.sleep(0.2)


def test_the_demo_runs_its_services_in_nine_clusters_with_one_drifted_market(demo: Portal) -> None:
    with Watching(demo), httpx.Client(base_url=demo.url, headers={"Authorization": f"Bearer {token(demo)}"}) as http:
        wait_for(lambda: len(http.get(BOOKING).json()["items"]) == 9)
        items = http.get(BOOKING).json()["items"]
    assert {(item["environment"], item["market"]) for item in items} == {
        (environment, market)
        for environment in ("dev", "staging", "production")
        for market in ("eu-west-1", "us-east-1", "ap-southeast-1")
    }
    [drifted] = [item for item in items if item["drift"]]
    assert drifted["cluster"] == "prod-ap-southeast-1" and drifted["version"].endswith("-rc1")


def test_a_rollout_shows_on_the_open_tab_with_links_to_logs_and_dashboards(demo: Portal) -> None:
    import callboard_deployments

    fleet = callboard_deployments.state.fleet
    assert fleet is not None
    SHOTS.mkdir(parents=True, exist_ok=True)
    with Watching(demo), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(
            base_url=demo.url,
            extra_http_headers={"Authorization": f"Bearer {token(demo)}"},
            viewport={"width": 1400, "height": 1000},
        )
        page = context.new_page()
        page.goto("/catalog/default/component/booking-service/deployments")
        expect(page.locator(".tile")).to_have_count(9, timeout=20000)
        drifted = page.locator(".tile.drift")
        expect(drifted).to_have_count(1)
        expect(drifted).to_contain_text("prod-ap-southeast-1")
        logs = page.locator(".tile[data-cluster=prod-eu-west-1] a.link-logs")
        expect(logs).to_have_attribute(
            "href", re.compile(re.escape(f"{fleet.observability.url}/grafana/explore?") + ".*prod-eu-west-1")
        )
        expect(page.locator(".tile[data-cluster=prod-eu-west-1] a.link-dashboard")).to_be_visible()
        expect(page.locator(".deploy-extras")).to_contain_text("booking-service · Overview")
        page.screenshot(path=str(SHOTS / "demo-deployments-tab.png"), full_page=True)

        # Roll the drifted market forward to production's version, as `kubectl patch --type merge` sends it.
        version = page.locator(".tile[data-cluster=prod-eu-west-1] .version").inner_text()
        label = {"app.kubernetes.io/version": version}
        patch = {"metadata": {"labels": label}, "spec": {"template": {"metadata": {"labels": label}}}}
        url = (
            fleet.kubernetes.url_of("prod-ap-southeast-1")
            + "/apis/apps/v1/namespaces/northwind/deployments/booking-service"
        )
        response = httpx.patch(url, json=patch, headers={"Content-Type": "application/merge-patch+json"})
        assert response.status_code == 200, response.text
        expect(page.locator(".tile[data-cluster=prod-ap-southeast-1] .version")).to_have_text(version, timeout=15000)
        expect(page.locator(".tile.drift")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "demo-deployments-rolled-out.png"), full_page=True)
        browser.close()
