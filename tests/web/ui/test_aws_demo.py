"""The demo with the AWS inventory plugin (installed by make install): a moto server seeded with Northwind's
organisation is scanned; the Accounts page shows the unit tree with owners and what has none, an account's
page its clusters and resources, and a component the EKS clusters it runs on, through the Deployments plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from callboard.demo import demo_config
from tests.web.ui.conftest import Portal, running_portal

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The demo with the AWS inventory scanned and the stand-in clusters watched (``page`` signs in as its guest)."""
    folder = tmp_path_factory.mktemp("aws-demo")
    extra = {
        "plugins": demo_config(folder / "data")["plugins"],
        "deployments": {"demo": True, "watch": {"runMinutes": 0.05, "watchSeconds": 1}},
    }
    with running_portal(folder, extra=extra) as running:
        for task in ("aws.provider.inventory", "deployments.demo", "deployments.kubernetes"):
            run = running.runtime.scheduler.run_now(task, by="test")
            assert run.error is None, f"{task}: {run.error}"
        running.runtime.engine.run_until_idle(120)
        yield running


def test_accounts_page_then_an_account_then_a_cluster_in_a_browser(page: Page) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto("/")
    page.get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()
    expect(page.locator(".unit-name")).to_have_text(
        ["Organisation root", "Infrastructure", "Sandbox", "Workloads", "Non-production", "Production"]
    )
    expect(page.locator(".aws-tiles li").filter(has_text="clusters")).to_contain_text("6")
    expect(page.locator("#unowned + p + table")).to_contain_text("security-audit")
    page.screenshot(path=str(SHOTS / "demo-aws-accounts.png"), full_page=True)

    page.get_by_role("link", name="platform-prod").click()
    card = page.locator("section, .card").filter(has_text="In this account").first
    expect(card).to_contain_text("prod-eu-west-1")
    expect(card).to_contain_text("2 container registries")
    page.get_by_role("link", name="prod-eu-west-1").first.click()
    expect(page.locator("h1")).to_contain_text("prod-eu-west-1")
    expect(page.locator("body")).to_contain_text("eks:DescribeCluster")  # where each field came from
    page.screenshot(path=str(SHOTS / "demo-aws-cluster.png"), full_page=True)

    page.goto("/catalog/default/component/booking-service")
    runs_on = page.locator("section, .card").filter(has_text="Runs on").first
    expect(runs_on).to_contain_text("prod-eu-west-1", timeout=20000)
    expect(runs_on).to_contain_text("EKS 1.31")
    page.screenshot(path=str(SHOTS / "demo-aws-runs-on.png"), full_page=True)
