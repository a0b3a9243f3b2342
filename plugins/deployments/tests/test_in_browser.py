"""The Deployments tab and page as a release manager uses them, in Debian's chromium: versions by environment,
market and cluster with drift marked, a rollout in the cluster showing on the open page within seconds, a cell's
history, and the fleet page. Screenshots go to plugins/deployments/build/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from callboard.sdk import Identity
from callboard.sdk.testing import Portal
from callboard_deployments.standins.kubernetes import KubernetesStandIn, deployment
from tests.conftest import TOKEN, Watching
from tests.conftest import callboard_config as base_config

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is expected at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def callboard_config(catalog_file: Path, kubernetes: KubernetesStandIn) -> dict[str, Any]:
    """Two markets of production and of staging; production in us runs an older version (drift)."""
    config = base_config.__wrapped__(catalog_file, kubernetes)  # type: ignore[attr-defined]
    # prod-us was rolled out before prod-eu's 1.4.2: with one cluster each, the newer version prevails.
    for name, version, at in (("prod-us", "1.4.1", "2026-01-05T10:00:00Z"), ("staging-us", "1.5.0", None)):
        kubernetes.add(name, token=TOKEN).apply(
            "deployments",
            deployment("payments-api", version, namespace="payments", kubernetes_id="payments-api", at=at),
        )
        environment = "production" if name.startswith("prod") else "staging"
        config["kubernetes"]["clusterLocatorMethods"][0]["clusters"].append(
            {
                "name": name,
                "url": kubernetes.url_of(name),
                "serviceAccountToken": TOKEN,
                "environment": environment,
                "market": "us",
            }
        )
    config["deployments"]["links"] = [
        {"title": "Logs", "kind": "logs", "url": "https://grafana.example.com/explore?cluster=${{ cluster }}"}
    ]
    return config


def test_the_matrix_shows_drift_and_a_rollout_live(
    portal: Portal, browser: Browser, kubernetes: KubernetesStandIn
) -> None:
    portal.process_catalog()
    assert portal.run_task("deployments.kubernetes") == "succeeded"
    token = portal.token_for(Identity("user", "user:default/jane", ("user:default/jane",), "Jane"))
    context = browser.new_context(base_url=portal.url, extra_http_headers={"Authorization": f"Bearer {token}"})
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto("/catalog/default/component/payments-api/deployments")
    expect(page.locator(".tile")).to_have_count(4)
    drifted = page.locator(".tile.drift")
    expect(drifted).to_have_count(1)
    expect(drifted).to_contain_text("prod-us")
    expect(drifted).to_contain_text("production mostly runs 1.4.2")
    expect(page.locator(".tile[data-cluster=prod-eu] a.link-logs")).to_have_attribute(
        "href", "https://grafana.example.com/explore?cluster=prod-eu"
    )
    page.screenshot(path=str(SHOTS / f"deployments-tab-{portal.backend}.png"), full_page=True)

    with Watching(lambda: portal.run_task("deployments.kubernetes")):
        kubernetes.clusters["prod-us"].apply(
            "deployments", deployment("payments-api", "1.4.2", namespace="payments", kubernetes_id="payments-api")
        )
        expect(page.locator(".tile[data-cluster=prod-us] .version")).to_have_text("1.4.2", timeout=15000)
        expect(page.locator(".tile.drift")).to_have_count(0)
    page.screenshot(path=str(SHOTS / f"deployments-rolled-out-{portal.backend}.png"), full_page=True)

    page.locator(".tile[data-cluster=prod-us] a.cluster").click()
    expect(page.locator(".cell-history")).to_contain_text("Versions in prod-us")
    expect(page.locator(".cell-history tbody tr")).to_have_count(2)

    page.goto("/deployments/")
    expect(page.locator("main h1")).to_have_text("Deployments")
    expect(page.locator("table.fleet tbody tr")).to_have_count(1)
    expect(page.locator("table.fleet td.cell.not-in-reference")).to_contain_text("1.5.0")
    page.screenshot(path=str(SHOTS / f"deployments-fleet-{portal.backend}.png"), full_page=True)
    context.close()
