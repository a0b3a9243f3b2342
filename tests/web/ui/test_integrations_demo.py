"""The demo's integrations as a team lead uses them in Debian's chromium, signed in as the guest: a service's
workflow runs and a working Re-run, who is on call and a working Trigger incident, its open Jira issues; and
someone without the permissions sees no buttons and gets 403 from the API. GitHub, PagerDuty and Jira are the
local stand-ins the demo starts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from callboard.core.identity import Identity
from callboard.core.permissions import SYSTEM
from callboard.demo import demo_config
from callboard.demo import vendors as demo_vendors
from callboard.standins import VendorStandIns
from tests.web.ui.conftest import Portal, running_portal

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"
SERVICE = "/catalog/default/component/booking-service"


@pytest.fixture(scope="module")
def vendors() -> Iterator[VendorStandIns]:
    stand_ins = demo_vendors.start()
    yield stand_ins
    stand_ins.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, vendors: VendorStandIns) -> Iterator[Portal]:
    folder = tmp_path_factory.mktemp("integrations-demo")
    config = demo_vendors.merged(demo_config(folder / "data"), vendors.url)
    extra = {key: config[key] for key in ("integrations", "pagerDuty", "jira", "permission")}
    host = vendors.url.removeprefix("http://")
    with running_portal(
        folder, extra=extra, reading_hosts=(host,), **{"import": config["catalog"]["import"]}
    ) as running:
        yield running


def _signed_in_as_guest(page: Page) -> None:
    page.goto("/signin")
    page.get_by_role("button", name="Continue as guest").click()
    expect(page.get_by_role("link", name="Guest")).to_be_visible()


def test_runs_rerun_on_call_trigger_and_issues_in_a_browser(demo: Portal, vendors: VendorStandIns) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(base_url=demo.url, viewport={"width": 1400, "height": 1000}).new_page()
        _signed_in_as_guest(page)
        page.goto(SERVICE)
        expect(page.locator(".card-github-actions")).to_contain_text("Latest on main")
        expect(page.locator(".card-pagerduty")).to_contain_text("Level 1")
        expect(page.locator(".card-jira")).to_contain_text("open in BOOK")

        page.get_by_role("link", name="CI/CD").click()
        runs = page.locator("table.runs tbody tr")
        expect(runs.first).to_contain_text("#")
        page.screenshot(path=str(SHOTS / "demo-ci-runs.png"), full_page=True)
        page.get_by_label("Branch").fill("main")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("table.runs tbody tr td:nth-child(3)").first).to_have_text("main")
        runs.first.get_by_role("link").first.click()
        expect(page.locator("details.job").first).to_be_visible()
        page.get_by_role("button", name="Re-run").click()
        expect(page.locator(".rerun")).to_contain_text("Re-run requested")
        assert len(vendors.github.reruns) == 1
        page.reload()
        expect(page.locator(".run-head h2 .outcome")).to_have_text("queued")
        page.screenshot(path=str(SHOTS / "demo-ci-run.png"), full_page=True)

        page.get_by_role("link", name="On call").click()
        expect(page.locator(".on-call tbody tr")).to_have_count(2)
        expect(page.locator(".incident-list")).to_contain_text("Quotes time out for two carriers")
        page.locator("summary", has_text="Trigger incident").click()
        page.get_by_label("What is wrong").fill("Bookings fail with 502 for all carriers")
        page.get_by_role("button", name="Page whoever is on call").click()
        expect(page.locator(".trigger-result")).to_contain_text("Incident triggered")
        assert vendors.pagerduty.events[-1]["payload"]["summary"] == "Bookings fail with 502 for all carriers"
        page.reload()
        expect(page.locator(".incident-list")).to_contain_text("Bookings fail with 502 for all carriers")
        page.screenshot(path=str(SHOTS / "demo-on-call.png"), full_page=True)

        page.get_by_role("link", name="Issues").click()
        expect(page.locator(".jira-bar")).to_be_visible()
        expect(page.locator(".jira-issues tbody tr").first).to_contain_text("BOOK-")
        page.screenshot(path=str(SHOTS / "demo-issues.png"), full_page=True)

        page.goto("/catalog/default/component/carrier-onboarding")
        page.get_by_role("link", name="CI/CD").click()  # a GitLab project: the GitLab CI plugin's tab
        page.get_by_label("Status").select_option("failed")
        page.get_by_role("button", name="Filter").click()
        page.locator("table.runs tbody tr").first.get_by_role("link").first.click()
        expect(page.locator("section.stage h3").first).to_be_visible()
        page.get_by_role("button", name="Retry").click()
        expect(page.locator(".rerun")).to_contain_text("Retry requested")
        assert [project for project, _ in vendors.gitlab.retries] == ["northwind/carriers/carrier-onboarding"]
        page.screenshot(path=str(SHOTS / "demo-gitlab-pipeline.png"), full_page=True)

        page.goto("/catalog/default/group/shipping-team")
        team = page.locator(".card-pagerduty-team")
        expect(team).to_contain_text("booking-service")
        expect(team).to_contain_text("carrier-rates-service")

        page.goto("/admin/plugins")
        for check in ("✓ GitHub accepts", "✓ GitLab accepts", "✓ PagerDuty accepts", "✓ Jira accepts"):
            expect(page.locator(".plugin-health").filter(has_text=check)).to_have_count(1)
        # What each plugin adds is shown in its own column (a rule for the catalog's compact rows once hid it).
        adds = page.locator("table.plugins tr").filter(has_text="github-actions").locator("td.description")
        expect(adds).to_be_visible()
        expect(adds).to_contain_text("Hooks:")
        fits = "(t => t.scrollWidth <= t.parentElement.clientWidth)(document.querySelector('table.plugins'))"
        assert page.evaluate(fits), "the plugins table is wider than the page: long versions must wrap"
        page.screenshot(path=str(SHOTS / "demo-plugins-health.png"), full_page=True)
        browser.close()
    actions = {entry["action"] for entry in demo.runtime.audit.read(SYSTEM, actor="user:default/guest")}
    assert {"github-actions.run.rerun", "pagerduty.incident.create", "gitlab-ci.pipeline.retry"} <= actions


def test_someone_without_the_permissions_sees_no_buttons_and_is_refused(demo: Portal, vendors: VendorStandIns) -> None:
    ada = Identity(
        "user", "user:default/ada-lovelace", ("user:default/ada-lovelace", "group:default/shipping-team"), "Ada"
    )
    token = demo.runtime.auth.tokens.issue(ada)
    run = vendors.github.repository("northwind", "booking-service").runs[3]
    with httpx.Client(base_url=demo.url, headers={"Authorization": f"Bearer {token}"}) as client:
        tab = client.get(f"{SERVICE}/tabs/github-actions", params={"run": run.id})
        assert run.name in tab.text and "Re-run</button>" not in tab.text
        assert "Trigger incident" not in client.get(f"{SERVICE}/tabs/pagerduty").text
        entity = {"entity": "component:default/booking-service"}
        assert client.post(f"/api/github-actions/runs/{run.id}/rerun", params=entity).status_code == 403
        assert client.post("/api/pagerduty/incidents", params=entity, json={"summary": "x"}).status_code == 403


def test_a_failed_rerun_and_a_card_that_cannot_load_say_so_in_place(demo: Portal, vendors: VendorStandIns) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(base_url=demo.url, viewport={"width": 1400, "height": 1000}).new_page()
        _signed_in_as_guest(page)
        run = vendors.github.repository("northwind", "booking-service").runs[5]
        page.goto(f"{SERVICE}/github-actions?run={run.id}")
        expect(page.get_by_role("button", name="Re-run")).to_be_visible()
        vendors.github.down = True
        try:
            page.get_by_role("button", name="Re-run").click()
            expect(page.locator(".rerun")).to_contain_text("GitHub answered HTTP 503")
        finally:
            vendors.github.down = False
        page.goto(SERVICE)
        page.evaluate("htmx.ajax('GET', location.pathname + '/cards/no-such-card', {target: '.card-about'})")
        expect(page.locator(".part-error")).to_contain_text("404 · NotFoundError The page of component:default/")
        browser.close()


def test_register_works_out_of_the_box_with_the_offered_example(demo: Portal) -> None:
    """The demo's Register page offers a sample repository on the stand-in git host, which its config may read."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_context(base_url=demo.url, viewport={"width": 1280, "height": 900}).new_page()
        _signed_in_as_guest(page)
        page.goto("/catalog-import")
        page.locator("a.register-example").click()
        expect(page.locator("#register-url")).to_have_value(re.compile(r"/raw/warehouse-service/catalog-info.yaml$"))
        page.get_by_role("button", name="Analyse").click()
        expect(page.locator("table.preview")).to_contain_text("warehouse-service")
        expect(page.locator("table.preview")).to_contain_text("warehouse-api")
        page.get_by_role("button", name="Register").click()
        expect(page.locator("main h1")).to_have_text("Registered")
        page.screenshot(path=str(SHOTS / "demo-register.png"), full_page=True)
        demo.settle()
        page.goto("/catalog/default/component/warehouse-service")
        expect(page.locator("main h1").first).to_have_text("Warehouse service")
        browser.close()
