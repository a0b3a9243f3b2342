"""The home page and stars in a real browser, signed in as the demo's guest (a member of the shipping team)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.ui.test_browser import shoot


def test_the_home_page_shows_your_entities_stars_and_visits(page: Page) -> None:
    page.goto("/")
    expect(page.locator("main h1")).to_have_text("Hello, Guest")
    owned = page.locator("section.home-owned")
    expect(owned.locator("ul.kind-counts a").first).to_have_text(re.compile(r"\d+ components"))
    expect(owned.get_by_role("link", name="booking-service")).to_be_visible()

    page.goto("/catalog/default/api/tracking-api")
    star = page.locator("form.star button")
    if star.get_attribute("aria-pressed") == "true":  # the module's portal is shared: start from unstarred
        star.click()
        expect(page.locator("form.star button")).to_have_attribute("aria-pressed", "false")
    page.locator("form.star button").click()
    expect(page.locator("form.star button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("form.star button")).to_contain_text("Starred")

    page.goto("/")
    starred = page.locator("section", has=page.locator("#home-starred"))
    expect(starred.get_by_role("link", name="tracking-api")).to_be_visible()
    visited = page.locator("section", has=page.locator("#home-visited"))
    expect(visited.locator("li").first).to_contain_text("tracking-api")
    shoot(page, "home-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("main h1")).to_have_text("Hello, Guest")
    shoot(page, "home-390")


def test_star_from_a_catalog_row_without_leaving_the_table(page: Page) -> None:
    page.goto("/catalog?kind=component&type=library")
    url = page.url
    button = page.get_by_role("button", name=re.compile(r"component:booking-sdk"))
    before = button.get_attribute("aria-pressed")
    button.click()
    after = "false" if before == "true" else "true"
    expect(page.get_by_role("button", name=re.compile(r"component:booking-sdk"))).to_have_attribute(
        "aria-pressed", after
    )
    assert page.url == url  # the filters and the page stay as they were
    page.reload()
    expect(page.get_by_role("button", name=re.compile(r"component:booking-sdk"))).to_have_attribute(
        "aria-pressed", after
    )


def test_owned_by_me_columns_and_compact_rows(page: Page) -> None:
    page.goto("/catalog?kind=component")
    first_row = page.locator("table.catalog-table tbody tr").first
    tall = first_row.bounding_box()
    page.get_by_label("Owned by me").check()
    expect(page.locator("p.summary")).to_contain_text("owned by you or your groups")
    assert "owned=me" in page.url
    page.locator(".columns-choice summary").click()
    page.locator(".columns-choice").get_by_label("Tags").check()
    expect(page.locator("table.catalog-table th", has_text="Tags")).to_have_count(1)
    assert "cols=tags" in page.url
    page.get_by_label("Compact rows").check()
    expect(page.locator("table.catalog-table")).to_have_class(re.compile("compact"))
    short = page.locator("table.catalog-table tbody tr").first.bounding_box()
    assert tall and short and short["height"] < tall["height"]
    assert "density" not in page.url  # a display choice, kept in this browser only
    page.reload()
    expect(page.locator("table.catalog-table")).to_have_class(re.compile("compact"))
    shoot(page, "catalog-owned-compact")
    page.get_by_label("Compact rows").uncheck()
