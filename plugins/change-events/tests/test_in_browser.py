"""Change events as an on-call engineer uses them, in Debian's chromium: the organisation's page updating
live as a change arrives, an entity's Changes tab with its timeline, and "what changed before this?" from
an incident. Screenshots go to plugins/change-events/build/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from callboard.sdk import Identity
from callboard.sdk.testing import SERVICE_TOKEN, Portal
from tests.support import iso

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


def record(portal: Portal, change_type: str, entity: str, minutes_ago: float, title: str, **fields: str) -> str:
    body = {
        "type": change_type,
        "id": title,
        "title": title,
        "entityRefs": [entity],
        "time": iso(portal.clock() - minutes_ago * 60),
        "url": f"https://ci.example.com/{title.replace(' ', '-')}",
        **fields,
    }
    response = httpx.post(
        f"{portal.url}/api/change-events", json=body, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_changes_live_on_the_page_in_the_tab_and_before_an_incident(portal: Portal, browser: Browser) -> None:
    portal.process_catalog()
    for hours in (70, 46, 22):
        record(
            portal,
            "deployment",
            "component:default/payments-api",
            hours * 60,
            f"payments-api to staging {hours}",
            environment="staging",
        )
    record(portal, "build", "component:default/payments-api", 26 * 60, "Build 812: success")
    record(portal, "deployment", "component:default/ledger", 40, "ledger 2.7.1 to production", environment="production")
    record(portal, "config-change", "resource:default/payments-db", 300, "payments-db pool 20 → 50")
    record(portal, "incident-opened", "component:default/payments-api", 1, "Payments failing", environment="production")

    token = portal.token_for(Identity("user", "user:default/jane", ("user:default/jane",), "Jane"))
    context = browser.new_context(base_url=portal.url, extra_http_headers={"Authorization": f"Bearer {token}"})
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto("/change-events/?days=7")
    expect(page.locator("main h1")).to_have_text("Changes")
    expect(page.locator(".live-status")).to_contain_text("live")
    expect(page.locator("svg.change-timeline")).to_be_visible()
    record(
        portal,
        "feature-flag",
        "component:default/payments-web",
        0.5,
        "checkout-v2 on for 10 %",
        environment="production",
    )
    expect(page.locator("ul.changes li").first).to_contain_text("checkout-v2 on for 10 %", timeout=5000)
    page.screenshot(path=str(SHOTS / f"changes-page-{portal.backend}.png"), full_page=True)

    page.goto("/catalog/default/component/payments-api/changes?days=3")
    expect(page.locator("svg.change-timeline path.type-deployment")).to_have_count(3)
    expect(page.locator("svg.change-timeline path.type-incident-opened")).to_have_count(1)
    page.screenshot(path=str(SHOTS / f"changes-tab-{portal.backend}.png"), full_page=True)

    page.get_by_role("link", name="What changed before this?").first.click()
    expect(page.locator("main h1")).to_contain_text("What changed before")
    expect(page.locator("ol.changes li").first).to_contain_text("ledger 2.7.1 to production")
    expect(page.locator("ol.changes li").first).to_contain_text("2 steps away")
    page.screenshot(path=str(SHOTS / f"changes-before-{portal.backend}.png"), full_page=True)
    context.close()
