"""The demo's inferred entities in a real browser: the "Where did this come from?" card."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.web.ui.conftest import Portal, running_portal
from tests.web.ui.test_browser import CHROMIUM, shoot


@pytest.fixture(scope="module")
def inferred_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with running_portal(tmp_path_factory.mktemp("inferred"), discover=True) as running:
        yield running


@pytest.fixture
def page(inferred_portal: Portal) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(base_url=inferred_portal.url, viewport={"width": 1400, "height": 900})
        opened = context.new_page()
        errors: list[str] = []
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.goto("/catalog")
        opened.get_by_role("button", name="Continue as guest").click()
        opened.wait_for_url(re.compile(r"/catalog$"))
        yield opened
        browser.close()
        assert not errors, errors


def test_an_inferred_entity_says_where_each_field_came_from(page: Page) -> None:
    page.goto("/catalog/default/component/payments-api")
    card = page.locator("section.card", has_text="Where did this come from?")
    expect(card).to_contain_text("acme/payments-platform")
    row = card.locator("tr", has_text="spec.owner")
    expect(row).to_contain_text("CODEOWNERS gives * to @acme/payments (mapped to group:billing-team)")
    expect(card.locator("tr", has_text="spec.providesApis")).to_contain_text("services/payments-api/openapi.yaml")
    # The card has the page's whole width; evidence files link to the repository; annotations are named short.
    assert page.locator(".cards-full section.card", has_text="Where did this come from?").count() == 1
    box = card.bounding_box()
    assert box is not None and box["width"] > 1000
    source = card.get_by_role("link", name="services/payments-api/openapi.yaml").first
    expect(source).to_have_attribute(
        "href", "https://github.com/acme/payments-platform/blob/main/services/payments-api/openapi.yaml"
    )
    expect(card.locator("tr", has_text="callboard.dev/ci").first).to_contain_text("annotation")
    shoot(page, "inferred")
    page.get_by_role("link", name="billing-team").first.click()
    page.wait_for_url(re.compile(r"/catalog/default/group/billing-team$"))


def test_a_written_descriptor_and_the_inference_disagreeing_is_shown(page: Page) -> None:
    page.goto("/catalog/default/component/profiles")
    card = page.locator("section.card", has_text="Where did this come from?")
    expect(card.locator("ul.conflicts")).to_contain_text("kept group:identity (catalog-info.yaml) over group:accounts")
