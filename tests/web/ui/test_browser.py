"""The portal in a real browser (Debian's chromium driven by Playwright) over the running demo.

Each test fails on a console error or an uncaught script error; screenshots of every page type are written
to build/test-output/screenshots/ for people to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import REPO
from tests.support import write
from tests.web.ui.conftest import Portal

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "build" / "test-output" / "screenshots"
AXE = REPO / "frontend" / "node_modules" / "axe-core" / "axe.min.js"

PAGE_TYPES = {
    "home": "/",
    "catalog": "/catalog",
    "api-explorer": "/apis",
    "component": "/catalog/default/component/booking-service",
    "component-apis": "/catalog/default/component/booking-service/apis",
    "dependencies": "/catalog/default/component/booking-service/dependencies?depth=2",
    "api-definition": "/catalog/default/api/booking-api/definition",
    "api": "/catalog/default/api/booking-api",
    "group": "/catalog/default/group/platform-team",
    "user": "/catalog/default/user/ada.lovelace",
    "system": "/catalog/default/system/booking",
    "domain": "/catalog/default/domain/logistics",
    "resource": "/catalog/default/resource/bookings-db",
    "inspect": "/catalog/default/component/booking-service/inspect",
    "register": "/catalog-import",
    "problems": "/catalog-problems",
    "audit": "/admin/audit",
    "create": "/create",
    "template-form": "/create/templates/default/python-service",
    "search": "/search?query=booking",
    "profile": "/me",
    "rest-api": "/api-docs",
    "task-list": "/create/tasks",
}


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def rows(page: Page) -> list[str]:
    return page.locator("table.entities tbody tr td.name-cell > a").all_inner_texts()


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_each_page_type_loads_cleanly(page: Page, name: str) -> None:
    response = page.goto(PAGE_TYPES[name])
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    expect(page.locator("main h1").first).to_be_visible()
    expect(page.locator("main, [role=main]")).to_have_count(1)  # one main landmark (Swagger UI draws its own)
    if name == "api-definition":
        expect(page.locator(".swagger-ui .opblock").first).to_be_visible()  # the interactive viewer ran
    if name in ("dependencies", "system", "component"):
        expect(page.locator("figure.graph svg a.node").first).to_be_visible()
    shoot(page, name)


def test_filters_sorting_and_paging_change_the_table(page: Page) -> None:
    page.goto("/catalog?kind=component")
    summary = page.locator("p.summary")
    expect(summary).to_have_text(re.compile(r"1–25 of 40 components"))
    first_page = rows(page)

    page.get_by_role("link", name=re.compile("Next")).click()
    expect(summary).to_have_text(re.compile(r"26–40 of 40"))
    assert "page=2" in page.url
    assert not set(rows(page)) & set(first_page)

    page.locator("input[name=type][value=library]").check()
    expect(summary).to_have_text(re.compile(r"1–5 of 5 components"))
    assert "type=library" in page.url and "page=2" not in page.url

    page.locator("th a", has_text="Name").click()
    expect(page.locator("th[aria-sort=descending]")).to_have_count(1)
    descending = rows(page)
    assert descending == sorted(descending, key=str.lower, reverse=True)
    assert "dir=desc" in page.url and "type=library" in page.url

    page.fill("#catalog-q", "booking")
    expect(summary).to_have_text(re.compile(r"1–1 of 1 component\b"))
    shoot(page, "catalog-filtered")

    # The URL holds the whole view: opening it again shows the same table.
    page.goto(page.url)
    expect(summary).to_have_text(re.compile(r"1–1 of 1 component\b"))
    assert rows(page) == ["booking-sdk"]


def test_graph_nodes_navigate(page: Page) -> None:
    page.goto("/catalog/default/component/booking-service/dependencies")
    node = page.locator('svg.graph-canvas a.node[data-ref="api:default/booking-api"]')
    expect(node).to_be_visible()
    node.click()
    page.wait_for_url(re.compile(r"/catalog/default/api/booking-api$"))
    expect(page.locator("main h1").first).to_have_text("booking-api")


def test_quick_jump_suggests_while_typing_and_opens_the_first_match(page: Page) -> None:
    page.goto("/catalog")
    page.keyboard.press("/")
    page.keyboard.type("tracking-s")
    suggestion = page.locator("#quick-jump-results a").first
    expect(suggestion).to_contain_text("tracking-service")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/catalog/default/component/tracking-service$"))


def test_register_and_unregister_end_to_end(page: Page, portal: Portal) -> None:
    write(
        portal.repo / "new-service" / "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: browser-registered\n"
        "  description: Registered by the browser test\nspec:\n  type: service\n  lifecycle: experimental\n"
        "  owner: platform-team\n  system: booking\n",
    )
    page.goto("/catalog-import")
    page.fill("#register-url", f"{portal.repo_url}/new-service/")
    page.get_by_role("button", name="Analyse").click()
    preview = page.locator("table.preview")
    expect(preview).to_contain_text("browser-registered")
    expect(preview).to_contain_text("valid")
    shoot(page, "register-review")
    page.get_by_role("button", name="Register").click()
    link = page.get_by_role("link", name="browser-registered")
    expect(link).to_be_visible(timeout=30_000)  # the status refreshes itself until the worker has processed it
    shoot(page, "registered")
    link.click()
    expect(page.locator("main h1").first).to_have_text("browser-registered")

    page.get_by_role("link", name="Unregister…").click()
    expect(page.locator("main")).to_contain_text("removes these 2 entities")
    shoot(page, "unregister-confirm")
    page.get_by_role("button", name=re.compile("Unregister the location")).click()
    expect(page.locator("p.notice")).to_contain_text("Unregistered url:")
    assert page.request.get("/catalog/default/component/browser-registered").status == 404


def test_theme_toggle_and_phone_width(browser: Browser, portal: Portal, session: str) -> None:
    context = browser.new_context(base_url=portal.url, viewport={"width": 390, "height": 844}, storage_state=session)
    page = context.new_page()
    page.goto("/catalog/default/component/booking-service")
    page.locator(".theme-toggle").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"  # the choice is remembered
    expect(page.locator("#sidebar")).to_be_hidden()
    page.locator(".nav-toggle").click()
    expect(page.locator("#sidebar")).to_be_visible()
    shoot(page, "phone-dark-entity")
    page.goto("/catalog")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # nothing overflows the page
    shoot(page, "phone-dark-catalog")
    context.close()


@pytest.mark.parametrize(
    "name",
    [
        *("home", "catalog", "component", "api-definition", "group", "system", "dependencies", "register"),
        *("problems", "template-form", "rest-api", "task-list", "search"),
    ],
)
def test_no_critical_accessibility_violations(page: Page, name: str) -> None:
    # Without the file the route below fails inside the browser and the script tag never loads: say why now.
    assert AXE.is_file(), f"{AXE} is missing: run make install (it installs frontend/package.json)"
    page.goto(PAGE_TYPES[name])
    page.wait_for_load_state("networkidle")
    # axe-core comes from the npm registry (frontend/package.json); served as if from the portal, so the
    # page's content security policy stays on while it runs.
    page.route("**/__axe.js", lambda route: route.fulfill(body=AXE.read_text("utf-8"), content_type="text/javascript"))
    page.add_script_tag(url="/__axe.js")
    # evaluate() has no timeout of its own: a run that never settles fails here instead of hanging the suite.
    result = page.evaluate(
        "Promise.race([axe.run(document, {resultTypes: ['violations']}),"
        " new Promise((_, reject) => setTimeout(() => reject(new Error('axe.run took over 60 s')), 60000))])"
    )
    critical = [
        f"{violation['id']}: {violation['help']} (e.g. {violation['nodes'][0]['html']})"
        for violation in result["violations"]
        if violation["impact"] == "critical"
    ]
    assert not critical, "\n".join(critical)


def test_create_a_service_from_the_demo_template(page: Page, portal: Portal) -> None:
    page.goto("/create")
    page.get_by_role("link", name="Choose").first.click()
    page.fill("#f-name", "Bad Name")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(".field.has-error", has_text="Name")).to_contain_text(
        "Name: start with a lower-case letter, then use lower-case letters, digits and dashes"
    )  # next to the field, in words
    page.fill("#f-name", "parcel-tracker")
    page.fill("#f-description", "Tracks parcels.")
    page.locator("#f-owner").click()
    page.keyboard.type("shipp")  # the picker searches titles and refs, and shows kinds
    option = page.get_by_role("option", name=re.compile("Shipping"))
    expect(option).to_contain_text("group · group:default/shipping-team")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#f-owner")).to_have_value("group:default/shipping-team")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(".wizard-progress [aria-current=step]")).to_contain_text("Where it runs")
    page.get_by_role("button", name="Back", exact=True).click()
    expect(page.locator("#f-name")).to_have_value("parcel-tracker")  # answers survive going back
    page.get_by_role("button", name="Next", exact=True).click()
    page.select_option("#f-lifecycle", "production")
    page.get_by_role("button", name="Review", exact=True).click()
    # The answers in the form's order, under the fields' titles, options by their names.
    assert page.locator("dl.review dt").all_text_contents()[:4] == ["Name", "Description", "Owner", "Lifecycle"]
    expect(page.locator("dl.review").last).to_contain_text("Production")
    page.get_by_role("button", name="Preview files").click()
    expect(page.locator("main")).to_contain_text("app.py")
    expect(page.locator(".notice")).to_contain_text("dry run: publishing skipped")  # a note, not an error
    expect(page.locator(".problem.error")).to_have_count(0)
    shoot(page, "template-preview")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator(".task-state")).to_contain_text("completed", timeout=30_000)  # the page follows the run
    expect(page.locator("main h1")).to_have_text("Python service: parcel-tracker")
    expect(page.locator("ol.timeline li").first).to_contain_text(re.compile(r"completed[\s\S]*(\d+\.\d|< 0\.1) s"))
    expect(page.locator("ul.links")).to_contain_text("Files: a folder on the portal's server")
    shoot(page, "task")
    again = page.get_by_role("link", name="Start over with these answers").get_attribute("href")
    page.get_by_role("link", name="Open in the catalog").click()
    expect(page.locator("main h1").first).to_have_text("parcel-tracker", timeout=15_000)
    expect(page.locator(".entity-head")).to_contain_text("shipping-team")
    published = portal.runtime.tasks.published / "parcel-tracker"
    assert "parcel-tracker is up" in (published / "app.py").read_text()  # the files were rendered and published
    assert "owner: group:default/shipping-team" in (published / "catalog-info.yaml").read_text()
    # Start over: the same form, filled with the task's answers.
    assert again is not None
    page.goto(again)
    expect(page.locator("#f-name")).to_have_value("parcel-tracker")
    expect(page.locator("#f-owner")).to_have_value("group:default/shipping-team")
    # The template registered what it published in the creator's name, and the audit log says so.
    page.goto("/admin/audit?action=catalog.location.create")
    audited = page.locator("table.audit tbody tr", has_text="parcel-tracker").first
    expect(audited).to_contain_text("by a scaffolder task")
    page.goto("/create/tasks")
    row = page.locator("table tbody tr", has_text="Python service: parcel-tracker").first
    expect(row).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"))  # when it was created


def test_the_docs_tab_shows_the_components_docs(page: Page) -> None:
    page.goto("/catalog/default/component/booking-service")
    page.get_by_role("link", name="Docs", exact=True).click()
    for _ in range(60):  # the first view builds the site in the background
        if page.locator(".docs-article").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.locator(".docs-article h1")).to_have_text("Booking service")
    page.locator(".docs-nav").get_by_role("link", name="Runbook").click()
    expect(page.locator(".docs-article h1")).to_have_text("Runbook")
    expect(page.locator(".docs-toc")).to_contain_text("Escalation")
    shoot(page, "docs")


def test_search_finds_entities_and_docs_with_filters_and_suggestions(page: Page, portal: Portal) -> None:
    entity = portal.runtime.catalog.entity_by_name("component", "default", "payment-service")
    portal.runtime.techdocs.state(entity)  # built and indexed in the background, as on a first Docs visit
    portal.runtime.techdocs.wait(entity, 120)

    page.goto("/catalog")
    page.keyboard.press("/")
    page.keyboard.type("refunds")
    suggestions = page.locator("#quick-jump-results")
    expect(suggestions.locator("a").first).to_contain_text("Refunds")
    expect(suggestions).to_contain_text("Search everything for")
    suggestions.get_by_role("link", name=re.compile("Search everything")).click()
    page.wait_for_url(re.compile(r"/search\?query=refunds"))
    expect(page.locator(".search-hit").first).to_contain_text("Payment flows")
    expect(page.locator(".search-hit mark").first).to_have_text(re.compile("refund", re.I))

    page.fill("#search-query", "payment")
    expect(page.locator(".summary")).to_contain_text("for “payment”")
    page.locator('input[name="filters[kind]"][value="api"]').check()
    page.wait_for_url(re.compile(r"filters%5Bkind%5D=api"))  # the filtered view is a link people can share
    expect(page.locator(".search-hit .badge.kind").first).to_have_text("API")
    assert set(page.locator(".search-hit .badge.kind").all_inner_texts()) == {"API"}
    page.locator('input[name="types[]"][value="techdocs"]').check()
    page.wait_for_url(re.compile(r"types%5B%5D=techdocs"))
    expect(page.locator(".summary")).to_contain_text("Nothing matches")
    # A click, then the URL: uncheck() re-reads the box right after the click, and under load it may read the
    # results that the click's own request is about to replace.
    page.locator('input[name="filters[kind]"][value="api"]').click()
    page.wait_for_url(re.compile(r"^(?!.*filters).*types%5B%5D=techdocs"))
    expect(page.locator(".search-hit .badge.doc-page").first).to_be_visible()
    shoot(page, "search-docs")

    page.fill("#search-query", "paymnet servce")
    expect(page.locator(".notice")).to_contain_text("you typed")
    expect(page.locator(".search-hit").first).to_contain_text(re.compile("payment", re.I))
    page.locator(".search-hit a.hit-title").first.click()
    page.wait_for_url(re.compile(r"/catalog/default/component/payment-service/docs/"))


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_type_at_desktop_and_phone_width_in_both_themes(
    browser: Browser, portal: Portal, session: str, width: int, theme: str
) -> None:
    """Screenshots for people to look at (build/test-output/screenshots/<page>-<width>-<theme>.png); each page
    also must not scroll sideways on its own (a table or a picture inside may scroll in its box)."""
    context = browser.new_context(
        base_url=portal.url,
        viewport={"width": width, "height": 900},
        storage_state=session,
        color_scheme="dark" if theme == "dark" else "light",
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    too_wide = []
    try:
        for name, path in PAGE_TYPES.items():
            page.goto(path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.getAttribute('data-theme')") == theme
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 1:
                too_wide.append(f"{name} ({overflow} px)")
            shoot(page, f"{name}-{width}-{theme}")
    finally:
        context.close()
    assert not errors, errors
    assert not too_wide, f"pages wider than the screen at {width} px: {', '.join(too_wide)}"
