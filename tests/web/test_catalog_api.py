"""The /api/catalog contract, endpoint by endpoint and filter rule by filter rule, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import pytest

from callboard.catalog.paging import decode_cursor, encode_cursor
from tests.support import AUTH


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["metadata"]["name"] for item in items]


def test_get_entities_returns_an_array_of_everything(api: httpx.Client) -> None:
    response = api.get("/entities")
    assert response.status_code == 200
    entities = response.json()
    kinds = sorted({entity["kind"] for entity in entities})
    assert kinds == ["API", "Component", "Domain", "Group", "Location", "Resource", "System", "User"]
    assert len(entities) == 13  # 11 described, the root Location file, and the generated location
    assert "Link" not in response.headers


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["kind=component"], ["artist-lookup", "artist-web", "Playback-Order"]),
        (["kind=Component,spec.lifecycle=production"], ["artist-web", "Playback-Order"]),
        (["kind=component,kind=api"], ["artist-api", "artist-lookup", "artist-web", "Playback-Order"]),
        (["kind=api", "kind=resource"], ["artist-api", "artists-db"]),  # repeated filter = OR
        (["metadata.tags.java"], ["artist-web"]),  # array items are keys
        (["kind=component,metadata.labels.tier"], ["artist-web"]),  # key existence
        (["metadata.name=PLAYBACK-order"], ["Playback-Order"]),  # case-insensitive
        (["relations.ownedby=group:default/team-b,kind=component"], ["artist-lookup"]),
        (["relations.memberof=group:default/team-a"], ["jane"]),
        (["spec.profile.email=jane@example.com"], ["jane"]),  # dotted paths
        (["metadata.namespace=default,kind=domain"], ["music"]),
        (["kind=nothing"], []),
        ([" kind = system "], ["artists"]),  # keys and values are trimmed
    ],
)
def test_filters(api: httpx.Client, filters: list[str], expected: list[str]) -> None:
    response = api.get("/entities", params=[("filter", f) for f in filters])
    assert response.status_code == 200
    assert sorted(names(response.json()), key=str.lower) == sorted(expected, key=str.lower)


def test_fields_keep_only_the_named_subtrees(api: httpx.Client) -> None:
    response = api.get("/entities", params={"filter": "kind=component", "fields": "metadata.name,spec.owner"})
    assert sorted(response.json(), key=lambda e: e["metadata"]["name"].lower()) == [
        {"metadata": {"name": "artist-lookup"}, "spec": {"owner": "team-b"}},
        {"metadata": {"name": "artist-web"}, "spec": {"owner": "team-a"}},
        {"metadata": {"name": "Playback-Order"}, "spec": {"owner": "user:jane"}},
    ]


def test_order_is_case_insensitive_with_missing_values_last(api: httpx.Client) -> None:
    params = [("filter", "kind=component"), ("order", "asc:metadata.title"), ("order", "asc:metadata.name")]
    assert names(api.get("/entities", params=params).json()) == ["artist-web", "artist-lookup", "Playback-Order"]
    params = [("filter", "kind=component"), ("order", "desc:metadata.name")]
    assert names(api.get("/entities", params=params).json()) == ["Playback-Order", "artist-web", "artist-lookup"]


def test_offset_limit_and_the_link_header(api: httpx.Client) -> None:
    params = {"filter": "kind=component", "order": "asc:metadata.name", "limit": "2"}
    first = api.get("/entities", params=params)
    assert names(first.json()) == ["artist-lookup", "artist-web"]
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"')
    after = dict(part.split("=", 1) for part in link[link.index("?") + 1 : link.index(">")].split("&"))["after"]
    assert json.loads(base64.urlsafe_b64decode(after + "==")) == {"limit": 2, "offset": 2}
    second = api.get("/entities", params={**params, "after": after})
    assert names(second.json()) == ["Playback-Order"]
    assert "Link" not in second.headers
    third = api.get("/entities", params={**params, "offset": "1", "limit": "1"})
    assert names(third.json()) == ["artist-web"]


def test_by_query_pages_with_cursors_and_total(api: httpx.Client) -> None:
    first = api.get(
        "/entities/by-query", params={"filter": "kind=component", "limit": 2, "orderField": "metadata.name,asc"}
    ).json()
    assert first["totalItems"] == 3
    assert names(first["items"]) == ["artist-lookup", "artist-web"]
    assert "prevCursor" not in first["pageInfo"]
    # The cursor carries filter and order: other parameters given with it are ignored.
    second = api.get(
        "/entities/by-query", params={"cursor": first["pageInfo"]["nextCursor"], "filter": "kind=user"}
    ).json()
    assert names(second["items"]) == ["Playback-Order"]
    assert second["totalItems"] == 3
    assert "nextCursor" not in second["pageInfo"]
    back = api.get("/entities/by-query", params={"cursor": second["pageInfo"]["prevCursor"]}).json()
    assert names(back["items"]) == ["artist-lookup", "artist-web"]


def test_by_query_default_limit_is_20_and_full_text_filter(api: httpx.Client) -> None:
    everything = api.get("/entities/by-query").json()
    assert len(everything["items"]) == min(20, everything["totalItems"])
    found = api.get(
        "/entities/by-query",
        params={"fullTextFilterTerm": "ARTIST", "fullTextFilterFields": "metadata.name,metadata.title"},
    ).json()
    assert sorted(names(found["items"])) == ["artist-api", "artist-lookup", "artist-web", "artists", "artists-db"]
    assert found["totalItems"] == 5
    described = api.get(
        "/entities/by-query",
        params={"fullTextFilterTerm": "great artists", "fullTextFilterFields": "metadata.description"},
    ).json()
    assert names(described["items"]) == ["artist-web"]
    # With a filter beside it, and over a field the text index does not cover, the same answers.
    components = api.get(
        "/entities/by-query",
        params={"fullTextFilterTerm": "artist", "fullTextFilterFields": "metadata.name", "filter": "kind=component"},
    ).json()
    assert sorted(names(components["items"])) == ["artist-lookup", "artist-web"] and components["totalItems"] == 2
    by_type = api.get("/entities/by-query", params={"fullTextFilterTerm": "WEBS", "fullTextFilterFields": "spec.type"})
    assert names(by_type.json()["items"]) == ["artist-web"] and by_type.json()["totalItems"] == 1


def test_malformed_cursor_is_an_input_error(api: httpx.Client) -> None:
    response = api.get("/entities/by-query", params={"cursor": "not-a-cursor!"})
    assert response.status_code == 400
    assert response.json()["error"]["name"] == "InputError"


def test_by_name_is_case_insensitive_and_404_has_backstage_body(api: httpx.Client) -> None:
    entity = api.get("/entities/by-name/Component/Default/PLAYBACK-ORDER").json()
    assert entity["metadata"]["name"] == "Playback-Order"
    response = api.get("/entities/by-name/component/default/nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "name": "NotFoundError",
            "message": "No entity named 'nope' found, with kind 'component' in namespace 'default'",
        },
        "request": {"method": "GET", "url": "/api/catalog/entities/by-name/component/default/nope"},
        "response": {"statusCode": 404},
    }


def test_final_entity_shape(api: httpx.Client) -> None:
    entity = api.get("/entities/by-name/component/default/artist-lookup").json()
    metadata = entity["metadata"]
    assert metadata["namespace"] == "default"
    assert metadata["uid"] and metadata["etag"]
    assert metadata["annotations"]["backstage.io/managed-by-location"].endswith("components/all.yaml")
    assert metadata["annotations"]["backstage.io/managed-by-origin-location"].endswith("catalog-info.yaml")
    assert entity["relations"] == [
        {"type": "dependsOn", "targetRef": "resource:default/artists-db"},
        {"type": "ownedBy", "targetRef": "group:default/team-b"},
        {"type": "partOf", "targetRef": "system:default/artists"},
        {"type": "providesApi", "targetRef": "api:default/artist-api"},
    ]
    assert "status" not in entity
    api_entity = api.get("/entities/by-name/api/default/artist-api").json()
    assert api_entity["spec"]["definition"].startswith("openapi: 3.0.3")
    assert {"type": "apiProvidedBy", "targetRef": "component:default/artist-lookup"} in api_entity["relations"]
    assert {"type": "apiConsumedBy", "targetRef": "component:default/artist-web"} in api_entity["relations"]


def test_reverse_relations_and_group_membership(api: httpx.Client) -> None:
    group = api.get("/entities/by-name/group/default/team-a").json()
    relations = {(r["type"], r["targetRef"]) for r in group["relations"]}
    assert ("hasMember", "user:default/jane") in relations
    assert ("childOf", "group:default/platform") in relations
    assert ("ownerOf", "component:default/artist-web") in relations
    assert ("ownerOf", "system:default/artists") in relations


def test_by_uid_and_by_refs(api: httpx.Client) -> None:
    entity = api.get("/entities/by-name/component/default/artist-web").json()
    assert api.get(f"/entities/by-uid/{entity['metadata']['uid']}").json() == entity
    assert api.get("/entities/by-uid/00000000-0000-0000-0000-000000000000").status_code == 404
    response = api.post(
        "/entities/by-refs",
        json={
            "entityRefs": [
                "component:default/artist-web",
                "component:default/missing",
                "group:team-a",
                "api:artist-api",
            ],
            "fields": ["kind", "metadata.name"],
        },
    )
    assert response.json() == {
        "items": [
            {"kind": "Component", "metadata": {"name": "artist-web"}},
            None,
            {"kind": "Group", "metadata": {"name": "team-a"}},
            {"kind": "API", "metadata": {"name": "artist-api"}},
        ]
    }
    filtered = api.post(
        "/entities/by-refs",
        params={"filter": "kind=group"},
        json={"entityRefs": ["component:default/artist-web", "group:default/team-a"]},
    )
    assert [item and item["kind"] for item in filtered.json()["items"]] == [None, "Group"]
    bad = api.post("/entities/by-refs", json={"entityRefs": "component:default/x"})
    assert bad.status_code == 400


def test_facets_keep_original_casing_and_honour_filters(api: httpx.Client) -> None:
    facets = api.get(
        "/entity-facets", params=[("facet", "kind"), ("facet", "spec.lifecycle"), ("filter", "kind=component")]
    ).json()["facets"]
    assert facets["kind"] == [{"value": "Component", "count": 3}]
    assert facets["spec.lifecycle"] == [{"value": "production", "count": 2}, {"value": "experimental", "count": 1}]
    tags = api.get("/entity-facets", params={"facet": "metadata.tags"}).json()["facets"]["metadata.tags"]
    assert {"value": "java", "count": 1} in tags
    assert api.get("/entity-facets").status_code == 400


def test_ancestry_walks_to_the_generated_root(api: httpx.Client) -> None:
    ancestry = api.get("/entities/by-name/component/default/artist-web/ancestry").json()
    assert ancestry["rootEntityRef"] == "component:default/artist-web"
    chain = [item["entity"]["metadata"]["name"] for item in ancestry["items"]]
    assert chain[:2] == ["artist-web", "example-root"]
    assert chain[2].startswith("generated-")
    assert ancestry["items"][0]["parentEntityRefs"] == ["location:default/example-root"]


def test_validate_entity(api: httpx.Client) -> None:
    good = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "x"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
    }
    assert (
        api.post("/validate-entity", json={"location": "url:https://example.com/c.yaml", "entity": good}).status_code
        == 200
    )
    bad = {**good, "spec": {"type": "service"}}
    response = api.post("/validate-entity", json={"location": "url:https://example.com/c.yaml", "entity": bad})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["name"] == "InputError"
    assert "must have required property 'lifecycle'" in error["message"]
    assert api.post("/validate-entity", json={"location": "nonsense", "entity": good}).status_code == 400


def test_locations_listing_and_lookup(api: httpx.Client) -> None:
    listed = api.get("/locations").json()
    assert len(listed) == 1
    location = listed[0]["data"]
    assert location["type"] == "file" and location["target"].endswith("catalog-info.yaml")
    assert api.get(f"/locations/{location['id']}").json() == location
    assert api.get("/locations/by-entity/component/default/artist-web").json() == location
    assert api.get("/locations/not-an-id").status_code == 404
    # Static locations from app-config cannot be deleted through the API.
    response = api.delete(f"/locations/{location['id']}")
    assert response.status_code == 403
    assert response.json()["error"]["name"] == "NotAllowedError"


def test_only_url_locations_may_be_registered_by_default(api: httpx.Client) -> None:
    response = api.post("/locations", json={"type": "file", "target": "/etc/passwd"})
    assert response.status_code == 400
    assert "allowed type" in response.json()["error"]["message"]


def test_health_and_openapi(api: httpx.Client) -> None:
    base = str(api.base_url).rstrip("/").removesuffix("/api/catalog")
    assert httpx.get(f"{base}/.backstage/health/v1/liveness").json() == {"status": "ok"}
    readiness = httpx.get(f"{base}/.backstage/health/v1/readiness").json()
    assert readiness["status"] == "ok"
    spec = httpx.get(f"{base}/api/catalog/openapi.json", headers=AUTH).json()
    assert "/api/catalog/entities/by-query" in spec["paths"]


def test_no_page_loads_assets_from_a_cdn(api: httpx.Client) -> None:
    base = str(api.base_url).rstrip("/").removesuffix("/api/catalog")
    home = httpx.get(f"{base}/catalog", headers=AUTH).text
    sources = re.findall(r'(?:src|href)="([^"]+)"', home)
    assert sources and not [url for url in sources if url.startswith(("http:", "https:", "//"))], sources
    for path in ("/api/docs", "/redoc", "/docs"):
        assert httpx.get(f"{base}{path}", headers=AUTH).status_code == 404


def test_by_query_can_skip_the_total_and_the_cursor_remembers(api: httpx.Client) -> None:
    params = {"filter": "kind=component", "limit": 2, "totalItems": "exclude"}
    first = api.get("/entities/by-query", params=params).json()
    assert first["totalItems"] == 0 and len(first["items"]) == 2
    second = api.get("/entities/by-query", params={"cursor": first["pageInfo"]["nextCursor"]}).json()
    assert second["totalItems"] == 0 and len(second["items"]) == 1


@pytest.mark.parametrize(
    "order",
    [
        [],
        ["metadata.name,asc"],
        ["metadata.name,desc"],
        ["metadata.title,asc"],  # most entities have no title: missing values come last
        ["metadata.title,desc", "kind,asc"],
        ["kind,desc", "metadata.name,asc"],
    ],
)
def test_paging_through_with_cursors_gives_every_entity_once_in_order(api: httpx.Client, order: list[str]) -> None:
    """Next-page cursors start after the last entity shown (not a count of entities to skip): the pages put
    together are the whole ordered list, and the previous-page cursor still goes back."""
    params: dict[str, Any] = {"orderField": order, "limit": 1000}
    whole = [item["metadata"]["uid"] for item in api.get("/entities/by-query", params=params).json()["items"]]
    seen: list[str] = []
    response = api.get("/entities/by-query", params={"orderField": order, "limit": 3}).json()
    pages = [response]
    while "nextCursor" in response["pageInfo"]:
        response = api.get("/entities/by-query", params={"cursor": response["pageInfo"]["nextCursor"]}).json()
        pages.append(response)
    for page in pages:
        seen += [item["metadata"]["uid"] for item in page["items"]]
    assert seen == whole and len(set(seen)) == len(whole)
    assert all(page["totalItems"] == len(whole) for page in pages)
    if len(pages) > 2:
        back = api.get("/entities/by-query", params={"cursor": pages[2]["pageInfo"]["prevCursor"]}).json()
        assert [item["metadata"]["uid"] for item in back["items"]] == seen[3:6]


def test_a_cursor_with_a_forged_position_is_refused(api: httpx.Client) -> None:
    first = api.get("/entities/by-query", params={"limit": 1, "orderField": "metadata.name,asc"}).json()
    state = decode_cursor(first["pageInfo"]["nextCursor"])
    for forged in ([1, 2], ["only-one"], "text", [None, None]):
        cursor = encode_cursor({**state, "k": forged})
        response = api.get("/entities/by-query", params={"cursor": cursor})
        assert response.status_code == 400, forged
