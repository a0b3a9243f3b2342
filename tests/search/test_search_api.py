"""``GET /api/search/query`` in Backstage's shape, the search page and the header's suggestions."""

from __future__ import annotations

import httpx

from tests.search.conftest import IndexedDemo


def test_results_have_backstages_shape_with_highlights_and_ranks(demo: IndexedDemo) -> None:
    body = demo.search("booking", pageLimit=5)
    first = body["results"][0]
    assert set(first) == {"type", "document", "highlight", "rank"}
    assert first["type"] == "software-catalog" and first["rank"] == 1
    assert {"title", "text", "location", "kind", "namespace", "owner", "lifecycle"} <= set(first["document"])
    assert first["highlight"]["preTag"] == "<mark>" and first["highlight"]["postTag"] == "</mark>"
    assert "<mark>" in first["highlight"]["fields"]["title"] + first["highlight"]["fields"]["text"]
    assert [result["rank"] for result in body["results"]] == [1, 2, 3, 4, 5]
    assert body["numberOfResults"] > 5 and "nextPageCursor" in body


def test_paging_with_cursors_walks_every_result_once(demo: IndexedDemo) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        body = demo.search("service", pageLimit=7, **({"pageCursor": cursor} if cursor else {}))
        seen += [result["document"]["location"] for result in body["results"]]
        cursor = body.get("nextPageCursor")
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == body["numberOfResults"]
    back = demo.search("service", pageLimit=7, pageCursor=body["previousPageCursor"])
    assert back["results"][0]["rank"] == len(seen) - len(body["results"]) - 6


def test_types_and_filters_narrow_the_results(demo: IndexedDemo) -> None:
    docs = demo.search("payment", **{"types[]": "techdocs"})["results"]
    assert docs and {result["type"] for result in docs} == {"techdocs"}
    assert all(
        result["document"]["location"].startswith("/catalog/default/component/payment-service/docs/") for result in docs
    )
    apis = demo.search("payment", **{"filters[kind]": "API"})["results"]
    assert apis[0]["document"]["name"] == "payment-api"
    assert {result["document"]["kind"] for result in apis} == {"API"}
    owned = demo.http.get(
        "/api/search/query",
        params=[("term", "service"), ("filters[owner]", "group:default/sre-team"), ("filters[kind]", "component")],
    ).json()["results"]
    assert owned and {result["document"]["owner"] for result in owned} == {"group:default/sre-team"}
    experimental = demo.search("", **{"filters[lifecycle]": "experimental", "pageLimit": 50})["results"]
    assert {result["document"]["name"] for result in experimental} >= {"eta-predictor", "sms-sender"}
    assert {result["document"]["lifecycle"] for result in experimental} == {"experimental"}


def test_one_docs_page_is_one_result(demo: IndexedDemo) -> None:
    """Backstage lists a page once per section (#24918); here the best section of a page stands for it."""
    results = demo.search("customers", **{"types[]": "techdocs", "pageLimit": 50})["results"]
    pages = [result["document"]["location"].split("#")[0] for result in results]
    assert pages and len(pages) == len(set(pages))


def test_bad_requests_say_what_is_wrong(demo: IndexedDemo) -> None:
    bad_cursor = demo.http.get("/api/search/query", params={"term": "x", "pageCursor": "not-a-cursor"})
    assert bad_cursor.status_code == 400 and "pageCursor" in bad_cursor.json()["error"]["message"]
    bad_limit = demo.http.get("/api/search/query", params={"term": "x", "pageLimit": "1000"})
    assert bad_limit.status_code == 400 and "pageLimit" in bad_limit.json()["error"]["message"]


def test_search_needs_a_signed_in_caller(demo: IndexedDemo) -> None:
    with httpx.Client(base_url=demo.url) as anonymous:
        assert anonymous.get("/api/search/query", params={"term": "booking"}).status_code == 401


def test_the_search_page_shows_facets_highlights_and_pages(demo: IndexedDemo) -> None:
    html = demo.http.get("/search", params={"query": "payment"}, headers={"accept": "text/html"}).text
    assert "<mark>" in html and "Result type" in html and "Documentation" in html
    assert 'name="filters[kind]" value="api"' in html
    docs_only = demo.http.get(
        "/search", params={"query": "payment", "types[]": "techdocs"}, headers={"accept": "text/html"}
    ).text
    assert "payment-service/docs/" in docs_only and "/catalog/default/api/payment-api" not in docs_only
    typo = demo.http.get("/search", params={"query": "paymnet"}, headers={"accept": "text/html"}).text
    assert "<strong>payment</strong> (you typed “paymnet”)" in typo
    assert "results for “payment”" in typo and "results for “paymnet”" not in typo  # the count says what it counted


def test_the_header_box_suggests_entities_docs_and_a_full_search(demo: IndexedDemo) -> None:
    html = demo.http.get("/ui/quick-jump", params={"q": "refunds"}, headers={"accept": "text/html"}).text
    assert "payment-service/docs/payment-flows/#refunds" in html
    assert "/search?query=refunds" in html
    named = demo.http.get("/ui/quick-jump", params={"query": "alert"}, headers={"accept": "text/html"}).text
    assert "/catalog/default/component/alert-router" in named
