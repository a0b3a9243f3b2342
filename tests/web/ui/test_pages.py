"""The portal's pages over real HTTP, on SQLite and PostgreSQL: what each shows, and how it refuses bad input."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from callboard.catalog.filters import Condition
from callboard.core.identity import Identity
from callboard.people.api import Marks
from tests.support import AUTH, write
from tests.web.ui.conftest import Portal, running_portal

HTML = {"accept": "text/html", **AUTH}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with running_portal(tmp_path_factory.mktemp(request.param), request.param) as portal:
        yield portal


@pytest.fixture
def http(site: Portal) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, headers=HTML, timeout=30) as client:
        yield client


def names_in_table(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<td class="name-cell"><a href="/catalog/[^/]+/[^/]+/([^"]+)"', body)


def test_the_catalog_lists_components_with_facet_counts_and_pages(http: httpx.Client) -> None:
    page = http.get("/catalog").text
    assert "1–25 of 40 components" in page
    assert len(names_in_table(page)) == 25
    assert names_in_table(page) == sorted(names_in_table(page))
    # Facet counts: the demo has 30 services, 5 libraries and 5 websites.
    assert re.search(r'value="service"[^>]*>\s*<span class="facet-label">service</span> <span class="count">30<', page)
    second = http.get("/catalog", params={"kind": "component", "page": 2}).text
    assert "26–40 of 40 components" in second
    assert not set(names_in_table(page)) & set(names_in_table(second))


def refs_where(site: Portal, **conditions: str) -> set[str]:
    filters = (tuple(Condition(key.replace("__", "."), (value,)) for key, value in conditions.items()),)
    return {entity["metadata"]["name"] for entity in site.runtime.catalog.list_entities(filters)}


def test_filters_combine_and_each_facet_counts_within_the_others(http: httpx.Client, site: Portal) -> None:
    page = http.get("/catalog", params=[("kind", "component"), ("type", "library")]).text
    assert "1–5 of 5 components" in page
    assert set(names_in_table(page)) == refs_where(site, kind="component", spec__type="library")
    # The type facet still offers the other types (counted without the type filter) ...
    assert re.search(r'value="service"[^>]*>\s*<span class="facet-label">service</span> <span class="count">30<', page)
    # ... while the owner facet counts only libraries.
    owner_counts = (
        r'name="owner" value="[^"]+"[^>]*>\s*<span class="facet-label">[^<]+</span>\s*<span class="count">(\d+)<'
    )
    owners = re.findall(owner_counts, page)
    assert sum(int(count) for count in owners) == 5
    both = http.get("/catalog", params=[("kind", "component"), ("type", "library"), ("type", "website")]).text
    assert "1–10 of 10 components" in both


def test_text_filter_and_sorting(http: httpx.Client) -> None:
    page = http.get("/catalog", params={"kind": "component", "q": "booking"}).text
    assert set(names_in_table(page)) == {"booking-admin", "booking-event-relay", "booking-sdk", "booking-service"}
    descending = names_in_table(http.get("/catalog", params={"kind": "component", "sort": "name", "dir": "desc"}).text)
    assert descending == sorted(descending, reverse=True)
    by_owner = http.get("/catalog", params={"kind": "component", "sort": "owner", "per": 100}).text
    owners = re.findall(r'<td><a href="/catalog/default/group/([^"]+)">', by_owner.split("<tbody>", 1)[1])
    assert owners == sorted(owners)


def test_malformed_catalog_parameters_fall_back_instead_of_failing(http: httpx.Client) -> None:
    page = http.get("/catalog", params={"kind": "component", "page": "x", "per": "7", "sort": "nope"})
    assert page.status_code == 200
    assert "1–25 of 40" in page.text


def test_htmx_requests_get_only_the_results(http: httpx.Client) -> None:
    fragment = http.get("/catalog", params={"kind": "api"}, headers={"HX-Request": "true"}).text
    assert fragment.lstrip().startswith('<div id="catalog-results"')
    assert "<html" not in fragment


def test_quick_jump_finds_by_prefix_then_substring(http: httpx.Client) -> None:
    html = http.get("/ui/quick-jump", params={"q": "track"}).text
    hrefs = re.findall(r'href="(/catalog/[^"]+)"', html)
    assert hrefs and all("track" in href for href in hrefs)
    assert "No entity matches" in http.get("/ui/quick-jump", params={"q": "zzzz-nothing"}).text


def test_every_entity_page_and_tab_renders(http: httpx.Client, site: Portal) -> None:
    entities = site.runtime.catalog.list_entities(())
    for entity in entities:
        href = f"/catalog/default/{entity['kind'].lower()}/{entity['metadata']['name']}"
        for tab in ("", "/dependencies", "/inspect", "/dependencies?depth=3&types=ownedBy,partOf"):
            response = http.get(href + tab)
            assert response.status_code == 200, href + tab
            assert "could not be shown" not in response.text, href + tab


def test_group_page_counts_ownership_through_child_groups(http: httpx.Client, site: Portal) -> None:
    group = site.runtime.catalog.entity_by_name("group", "default", "platform-team")
    children = [r["targetRef"] for r in group["relations"] if r["type"] == "parentOf"]
    assert children, "the demo's platform team has a child group"
    page = http.get("/catalog/default/group/platform-team").text
    assert "through its 1 child group." in page
    # The Relations card names entities by their titles, with the ref on hover.
    relations = page.split('id="card-relations"', 1)[1] if 'id="card-relations"' in page else page
    assert 'title="group:default/engineering"' in relations
    owned_by_child = len(refs_where(site, relations__ownedby=children[0]))
    direct = len(refs_where(site, relations__ownedby="group:default/platform-team"))
    numbers = [int(n) for n in re.findall(r'<span class="stat-number">(\d+)</span>', page)]
    assert sum(numbers) == direct + owned_by_child


def test_api_definition_tab_embeds_the_document_for_the_viewer(http: httpx.Client) -> None:
    page = http.get("/catalog/default/api/booking-api/definition").text
    assert 'id="openapi-document"' in page
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert '<div class="hl">' in page  # highlighted source beside the viewer
    assert http.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert http.get("/static/vendor/htmx/htmx.min.js").status_code == 200


def test_pages_forbid_scripts_from_elsewhere(http: httpx.Client) -> None:
    response = http.get("/catalog")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "https://" not in response.text.split("<main", 1)[0]  # no asset from a CDN in the layout


def test_unknown_entities_get_an_html_error_page(http: httpx.Client) -> None:
    response = http.get("/catalog/default/component/does-not-exist")
    assert response.status_code == 404
    assert "No entity named 'does-not-exist'" in html.unescape(response.text) and "<html" in response.text
    api = httpx.get(response.url.copy_with(path="/api/catalog/entities/by-name/component/default/nope"), headers=AUTH)
    assert api.headers["content-type"].startswith("application/json")


def test_the_register_form_never_reads_a_path_on_the_server(http: httpx.Client) -> None:
    page = http.post("/catalog-import/analyze", data={"url": "/etc/passwd"}).text
    assert "not an http(s) URL" in page
    assert "root:" not in page


def test_analyse_shows_the_entities_and_their_problems(http: httpx.Client, site: Portal) -> None:
    write(
        site.repo / "broken" / "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: fine-one\nspec:\n"
        "  type: service\n  lifecycle: production\n  owner: platform-team\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: Bad Name!\nspec: {}\n",
    )
    page = http.post("/catalog-import/analyze", data={"url": f"{site.repo_url}/broken/"}).text
    assert "fine-one" in page and "valid" in page
    assert "Bad Name!" in page and "metadata.name" in page
    missing = http.post("/catalog-import/analyze", data={"url": f"{site.repo_url}/nothing-here.yaml"}).text
    assert "Cannot register" in missing and "nothing-here.yaml" in missing


def test_register_then_unregister_a_location(http: httpx.Client, site: Portal) -> None:
    write(
        site.repo / "svc" / "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: registered-svc\n"
        "  description: registered from the browser\nspec:\n  type: service\n  lifecycle: experimental\n"
        "  owner: platform-team\n",
    )
    target = f"{site.repo_url}/svc/catalog-info.yaml"
    response = http.post("/catalog-import/register", data={"target": target, "location_type": "url"})
    assert response.status_code == 303
    status_page = response.headers["location"]
    site.settle()
    page = http.get(status_page).text
    assert 'href="/catalog/default/component/registered-svc"' in page
    # The catalog table catches up with the change by itself (its index rebuilds in the background).
    for _ in range(100):
        table = http.get("/catalog", params={"kind": "component", "q": "registered-svc"}).text
        if "1–1 of 1 component" in table:
            break
        time.sleep(0.1)
    assert 'href="/catalog/default/component/registered-svc"' in table
    confirm = http.get("/catalog/default/component/registered-svc/unregister").text
    assert f"url:{target}" in confirm and "registered-svc" in confirm
    done = http.post("/catalog/default/component/registered-svc/unregister", data={"action": "location"})
    assert done.status_code == 303
    # The page they land on no longer counts it: no waiting for the index to catch up.
    landed = http.get(done.headers["location"] + "&q=registered-svc").text
    assert "No components match these filters" in landed
    site.settle()
    assert http.get("/catalog/default/component/registered-svc").status_code == 404


def test_cross_site_form_posts_are_refused(http: httpx.Client) -> None:
    response = http.post(
        "/catalog/default/component/booking-sdk/unregister",
        data={"action": "entity"},
        headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
    )
    assert response.status_code == 403
    assert http.get("/catalog/default/component/booking-sdk").status_code == 200


def test_problems_page_lists_failing_entities_with_their_source(http: httpx.Client, site: Portal) -> None:
    write(
        site.repo / "failing" / "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: will-break\nspec:\n"
        "  type: service\n  lifecycle: production\n  owner: platform-team\n",
    )
    target = f"{site.repo_url}/failing/catalog-info.yaml"
    site.runtime.catalog.add_location("url", target, dry_run=False)
    site.settle()
    # The source goes bad; the last good entity is kept and the problem is shown.
    write(
        site.repo / "failing" / "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata:\n  name: will-break\nspec:\n  type: 42\n  lifecycle: production\n  owner: platform-team\n",
    )
    site.runtime.catalog.refresh("component:default/will-break")
    site.settle()
    page = http.get("/catalog-problems").text
    assert "will-break" in page and "last good version served" in page
    assert "/spec/type must be string" in page and f"url:{target}" in page
    entity_page = http.get("/catalog/default/component/will-break").text
    assert 'class="card card-problems"' in entity_page


def test_descriptor_text_is_escaped_and_script_links_are_dropped(http: httpx.Client, site: Portal) -> None:
    write(
        site.repo / "xss" / "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: xss-probe\n"
        "  description: '<script>alert(1)</script>'\n  links:\n    - url: 'javascript:alert(1)'\n      title: evil\n"
        "  annotations:\n    backstage.io/view-url: 'javascript:alert(2)'\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: platform-team\n",
    )
    site.runtime.catalog.add_location("url", f"{site.repo_url}/xss/catalog-info.yaml", dry_run=False)
    site.settle()
    page = http.get("/catalog/default/component/xss-probe").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page


def test_static_files_exist_for_every_asset_the_layout_references(http: httpx.Client) -> None:
    page = http.get("/catalog").text
    for asset in re.findall(r'(?:src|href)="(/(?:static|ui)/[^"]+)"', page):
        assert http.get(asset).status_code == 200, asset


def test_locations_listed_on_the_register_page_can_be_unregistered(http: httpx.Client, site: Portal) -> None:
    write(
        site.repo / "listed" / "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: listed-svc\nspec:\n"
        "  type: service\n  lifecycle: production\n  owner: platform-team\n",
    )
    target = f"{site.repo_url}/listed/catalog-info.yaml"
    location = site.runtime.catalog.add_location("url", target, dry_run=False)["location"]
    site.settle()
    assert "already registered" in http.post("/catalog-import/analyze", data={"url": target}).text
    register_page = http.get("/catalog-import").text
    assert f"/catalog-import/locations/{location['id']}/unregister" in register_page
    confirm = http.get(f"/catalog-import/locations/{location['id']}/unregister").text
    assert "listed-svc" in confirm
    done = http.post(f"/catalog-import/locations/{location['id']}/unregister")
    assert done.status_code == 303 and "removed=url%3A" in done.headers["location"]
    site.settle()
    assert http.get("/catalog/default/component/listed-svc").status_code == 404


def test_locations_from_app_config_cannot_be_unregistered_from_the_pages(http: httpx.Client, site: Portal) -> None:
    static = next(item for item in site.runtime.catalog.locations() if item["type"] == "file")
    # The catalog service refuses it, so the page and the API answer alike.
    refused = http.post(f"/catalog-import/locations/{static['id']}/unregister")
    assert refused.status_code == 403 and "comes from catalog.locations in app-config" in refused.text
    api = http.delete(f"/api/catalog/locations/{static['id']}")
    assert api.status_code == 403 and "remove it there" in api.json()["error"]["message"]
    confirm = http.get("/catalog/default/component/booking-sdk/unregister").text
    assert "was not registered through the portal" in confirm
    assert 'name="action" value="location"' not in confirm


def test_the_name_in_the_top_bar_opens_your_own_page(http: httpx.Client, site: Portal) -> None:
    assert 'href="/me" class="who-name"' in http.get("/catalog").text

    def as_user(subject: str) -> dict[str, str]:
        identity = Identity("user", subject, (subject, "group:default/shipping-team"), "Someone")
        return {"accept": "text/html", "Authorization": f"Bearer {site.runtime.auth.tokens.issue(identity)}"}

    own = http.get("/me", headers=as_user("user:default/ada.lovelace"), follow_redirects=False)
    assert own.status_code == 303 and own.headers["location"] == "/catalog/default/user/ada.lovelace"
    # No User entity (the demo's guest, say): a profile that says how to get a page, instead of a 404.
    nobody = http.get("/me", headers=as_user("user:default/nobody"))
    assert nobody.status_code == 200
    assert "No page of your own yet" in nobody.text and "user:default/nobody" in nobody.text
    assert 'href="/catalog/default/group/shipping-team"' in nobody.text
    service = http.get("/me")  # the tests' service token
    assert service.status_code == 200 and "Service" in service.text


def test_the_rest_api_page_explains_the_api_and_links_the_openapi_document(http: httpx.Client) -> None:
    page = http.get("/api-docs").text
    assert 'href="/api-docs" aria-current="page">REST API<' in page
    assert 'href="/api/openapi.json"' in page and "Authorization: Bearer" in page
    rows = re.findall(r"<code>/api/([a-z-]+)</code></td><td>(\d+)</td>", page)
    assert [name for name, _ in rows[:4]] == ["catalog", "search", "scaffolder", "techdocs"]
    assert all(int(count) > 0 for _, count in rows)


def person(site: Portal, subject: str, *groups: str) -> dict[str, str]:
    identity = Identity("user", subject, (subject, *groups), subject.rsplit("/", 1)[-1].title())
    return {"accept": "text/html", "Authorization": f"Bearer {site.runtime.auth.tokens.issue(identity)}"}


def test_the_home_page_shows_what_you_own_star_visit_and_started(http: httpx.Client, site: Portal) -> None:
    ada = person(site, "user:default/ada.lovelace", "group:default/shipping-team", "group:default/engineering")
    home = http.get("/", headers=ada).text
    assert "Hello, Ada.Lovelace" in home
    owned = refs_where(site, relations__ownedby="group:default/shipping-team")
    assert f"Owned by you and your groups: {len(owned)}." in home
    assert 'href="/catalog?kind=component&amp;owned=me"' in home
    assert '<a href="/catalog/default/component/booking-service" class="with-kind">' in home
    assert "Star an entity" in home and "Entities you open show here" in home

    http.get("/catalog/default/system/tracking", headers=ada)  # a visit
    starred = http.post(
        "/ui/stars", headers=ada, data={"ref": "API:default/tracking-api", "starred": "true"}, follow_redirects=True
    )
    assert starred.status_code == 200 and starred.url.path == "/catalog/default/api/tracking-api"  # back to it
    home = http.get("/", headers=ada).text
    starred_part = home.split('id="home-starred"', 1)[1].split("</section>", 1)[0]
    visited_part = home.split('id="home-visited"', 1)[1].split("</section>", 1)[0]
    assert "/catalog/default/api/tracking-api" in starred_part
    assert "/catalog/default/system/tracking" in visited_part and "just now" in visited_part
    # Another person's home page is their own.
    grace = person(site, "user:default/grace.hopper", "group:default/billing-team")
    assert "/catalog/default/api/tracking-api" not in http.get("/", headers=grace).text.split('id="home-starred"')[1]
    # The star shows pressed on the entity page and in catalog rows; toggling without a value unstars.
    page = http.get("/catalog/default/api/tracking-api", headers=ada).text
    assert 'aria-pressed="true"' in page
    rows = http.get("/catalog", params={"kind": "api"}, headers=ada).text
    assert 'value="api:default/tracking-api" class="star-button compact starred"' in rows
    http.post("/ui/stars", headers=ada, data={"ref": "api:default/tracking-api", "back": "/catalog?kind=api"})
    header = http.get("/catalog/default/api/tracking-api", headers=ada).text.split("</h1>")[1][:800]
    assert 'aria-pressed="false"' in header


def test_stars_refuse_what_is_not_there_and_services(http: httpx.Client, site: Portal) -> None:
    ada = person(site, "user:default/ada.lovelace")
    missing = http.post("/ui/stars", headers=ada, data={"ref": "component:default/nope", "starred": "true"})
    assert missing.status_code == 404
    assert http.post("/ui/stars", headers=ada, data={"ref": "not a ref!", "starred": "true"}).status_code == 400
    refused = http.post("/ui/stars", data={"ref": "component:default/booking-service", "starred": "true"})
    assert refused.status_code == 400 and "Only people can star" in refused.text
    # A "back" outside the portal is not followed.
    back = http.post(
        "/ui/stars",
        headers=ada,
        data={"ref": "component:default/booking-service", "back": "//evil.example/x"},
        follow_redirects=False,
    )
    assert back.headers["location"] == "/catalog/default/component/booking-service"


def test_owned_by_me_columns_and_counts_in_the_catalog(http: httpx.Client, site: Portal) -> None:
    ada = person(site, "user:default/ada.lovelace", "group:default/shipping-team")
    page = http.get("/catalog", params={"kind": "component", "owned": "me"}, headers=ada).text
    mine = refs_where(site, kind="component", relations__ownedby="group:default/shipping-team")
    assert f"of {len(mine)} components owned by you or your groups" in page
    assert set(names_in_table(page)) <= mine
    # Ticking an owner that is not yours shows nothing, and says how to get back.
    others = {"kind": "component", "owned": "me", "owner": "group:default/billing-team"}
    nothing = http.get("/catalog", params=others, headers=ada)
    assert "No components match these filters" in nothing.text and "clear them" in nothing.text
    apis = http.get("/catalog", params={"kind": "api"}).text
    assert re.search(r"1–\d+ of \d+ APIs<", apis)
    users = http.get("/catalog", params={"kind": "user"}).text
    headings = re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([A-Za-z]+)', users)
    assert headings == ["Name", "Email", "Groups"]
    chosen = http.get("/catalog", params=[("kind", "component"), ("cols", "owner"), ("cols", "tags")]).text
    assert re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([A-Za-z]+)', chosen) == ["Name", "Owner", "Tags"]
    assert "cols=owner&amp;cols=tags" in chosen  # kept in the sort and page links


def test_a_group_shows_its_place_in_the_organisation_and_people_get_initials(http: httpx.Client) -> None:
    page = http.get("/catalog/default/group/platform-team").text
    tree = page.split('<ul class="tree"', 1)[1].split("</ul>", 1)[0]
    order = re.findall(r'class="tree-node[^"]*" style="--depth: (\d+)"[^>]*>(?:<a [^>]*>|<strong>)([^<]+)', tree)
    assert order[:3] == [("0", "Northwind Freight"), ("1", "Engineering"), ("2", "Platform")]
    assert ("3", "Site Reliability") in order  # its child group, one level down
    assert 'aria-current="true"><strong>Platform</strong>' in tree
    # Members and the page's header carry initials on a colour of their own (no picture from elsewhere).
    assert re.search(r'<span class="avatar" style="background: #[0-9a-f]{6}" aria-hidden="true">FA</span>', page)
    user = http.get("/catalog/default/user/ada.lovelace").text
    assert '<span class="avatar large"' in user and ">AL</span><h1>" in user


def test_nothing_matching_the_words_keeps_the_filters_to_change(http: httpx.Client) -> None:
    page = http.get("/catalog", params={"kind": "component", "q": "no-such-thing-anywhere"}).text
    assert "No components match these filters" in page and "clear them" in page
    # The filters still offer the kind's types and owners, counted without the words.
    assert re.search(r'value="service"[^>]*>\s*<span class="facet-label">service</span> <span class="count">30<', page)


def test_a_starred_entity_that_is_gone_leaves_the_home_page_working(http: httpx.Client, site: Portal) -> None:
    ada = person(site, "user:default/ada.lovelace", "group:default/shipping-team")
    Marks(site.runtime.database).star("user:default/ada.lovelace", "component:default/long-gone", True)
    home = http.get("/", headers=ada)
    assert home.status_code == 200 and "long-gone" not in home.text
