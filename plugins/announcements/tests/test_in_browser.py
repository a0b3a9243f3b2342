"""The plugin as people use it, in Debian's chromium: post from the page, see it listed, then on the team's
channel page in its card."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from callboard.sdk import Identity
from callboard.sdk.testing import Portal

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


def test_posting_from_the_page_shows_on_the_page_and_in_the_card(portal: Portal, browser: Browser) -> None:
    token = portal.token_for(Identity("user", "user:default/jane", ("user:default/jane",), "Jane"))
    context = browser.new_context(base_url=portal.url, extra_http_headers={"Authorization": f"Bearer {token}"})
    page = context.new_page()
    page.goto("/announcements/")
    expect(page.locator("main h1")).to_have_text("Announcements")
    page.fill("input[name=team]", "payments")
    page.fill("input[name=title]", "Card refunds slower on Friday")
    page.fill("textarea[name=body]", "Bank maintenance 02:00-04:00 UTC.")
    page.get_by_role("button", name="Post").click()
    expect(page.locator(".announcements li h2").first).to_have_text("Card refunds slower on Friday")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"announcements-{portal.backend}.png"), full_page=True)

    assert portal.run_task("announcements.provider.channels") == "succeeded"
    portal.process_catalog()
    page.goto("/catalog/default/resource/announcements-payments")
    card = page.locator("section", has_text="Announcements").first
    expect(card).to_contain_text("Card refunds slower on Friday")
    page.screenshot(path=str(SHOTS / f"announcements-card-{portal.backend}.png"), full_page=True)
    context.close()
