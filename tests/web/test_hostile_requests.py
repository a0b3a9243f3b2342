"""Requests a careless or hostile caller sends: each gets a 4xx naming the parameter or field, never a 500,
and none can make the server hold more memory than its limits allow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.app import Runtime
from callboard.config_loader import ConfigError
from tests.catalog.fixtures import config, write_catalog
from tests.support import AUTH, TEST_TOKEN, Server, make_runtime, raw_http

READER = "reader-token-0123456789"
COMPONENT_READER = "component-reader-token-01234"
GROUP_READER = "group-reader-token-0123456789"


@dataclass
class Portal:
    url: str
    runtime: Runtime

    def client(self, token: str = TEST_TOKEN) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    tmp = tmp_path_factory.mktemp("hostile")
    cfg: dict[str, Any] = config(write_catalog(tmp / "repo"), {"connection": str(tmp / "db.sqlite")})
    cfg["backend"]["auth"] = {
        "externalAccess": [
            {"type": "static", "options": {"token": TEST_TOKEN, "subject": "service:tests"}},
            {"type": "static", "options": {"token": READER, "subject": "service:reader"}},
            {"type": "static", "options": {"token": COMPONENT_READER, "subject": "service:component-reader"}},
            {"type": "static", "options": {"token": GROUP_READER, "subject": "service:group-reader"}},
        ]
    }
    cfg["permission"] = {
        "rules": [
            {"permission": "catalog.entity.read", "principals": ["service:reader"]},
            {
                "permission": "catalog.entity.read",
                "principals": ["service:component-reader"],
                "conditions": {"kind": ["component"]},
            },
            {
                "permission": "catalog.entity.read",
                "principals": ["service:group-reader"],
                "conditions": {"kind": ["group", "user"]},
            },
            {
                "permission": "*",
                "principals": ["service:reader", "service:component-reader", "service:group-reader"],
                "decision": "deny",
            },
        ]
    }
    runtime = make_runtime(cfg, tmp)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        with Server(runtime.web) as server:
            yield Portal(server.url, runtime)
    finally:
        runtime.close()


def _assert_input_error(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"]["name"] == "InputError" and body["response"]["statusCode"] == 400
    for word in words:
        assert word in body["error"]["message"], body["error"]["message"]


# -- request bodies --------------------------------------------------------------------------------------------


def test_a_read_only_caller_cannot_post_a_huge_body(portal: Portal) -> None:
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"location": "url:https://x", "entity": {"description": "'
        for _ in range(200 * 16):  # 200 MB
            sent += 65536
            yield b"a" * 65536

    with portal.client(READER) as http:
        try:
            status = http.post("/api/catalog/validate-entity", content=body()).status_code
        except httpx.HTTPError:
            status = 413
    assert status == 413
    assert sent < 40 * 1024 * 1024


def test_a_declared_body_over_the_api_limit_is_refused_unread(portal: Portal) -> None:
    # Two bytes sent, two million declared: refused at once rather than waiting for the rest.
    status, answer = raw_http(
        portal.url,
        ["POST /api/catalog/refresh HTTP/1.1", f"Authorization: Bearer {TEST_TOKEN}", "Content-Length: 2000000"],
        b"{}",
        timeout=5,
    )
    assert status == 413 and b"backend.limits.requestBody.api" in answer and b"PayloadTooLargeError" in answer


# -- validate-entity with every wrong shape ---------------------------------------------------------------------

BAD_ENTITIES = [
    ({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": "x"}, "metadata"),
    ({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": [1]}, "metadata"),
    ({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": 7}, "metadata"),
    ({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": None}, "metadata"),
    (
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a", "annotations": [1]}},
        "annotations",
    ),
    (
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": "a", "annotations": {"x": 1}},
        },
        "annotations",
    ),
    (
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a", "labels": "x"}},
        "labels",
    ),
    (
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a", "links": {"a": 1}}},
        "links",
    ),
    (
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a", "tags": "x"}},
        "tags",
    ),
    ({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a"}, "spec": "x"}, "spec"),
    (
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a"}, "relations": 3},
        "relations",
    ),
    ({"apiVersion": 1, "kind": "Component", "metadata": {"name": "a"}}, "apiVersion"),
    ({"apiVersion": "backstage.io/v1alpha1", "kind": ["Component"], "metadata": {"name": "a"}}, "kind"),
    ({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": 12}}, "name"),
    (
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a", "namespace": []}},
        "namespace",
    ),
    (
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": "a", "description": "nul \u0000 in it"},
            "spec": {"type": "service", "lifecycle": "production", "owner": "x"},
        },
        "",
    ),
    ([1, 2], "entity"),
    ("component", "entity"),
    (None, "entity"),
]


@pytest.mark.parametrize(("entity", "field"), BAD_ENTITIES, ids=[f"case{i}" for i in range(len(BAD_ENTITIES))])
def test_validate_entity_answers_every_shape_with_a_finding(portal: Portal, entity: Any, field: str) -> None:
    with portal.client(READER) as http:
        response = http.post(
            "/api/catalog/validate-entity", json={"location": "url:https://x/y.yaml", "entity": entity}
        )
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        body = response.json()
        assert body.get("errors") or body.get("error")
        assert field in response.text


def test_validate_entity_with_a_lone_surrogate(portal: Portal) -> None:
    raw = (
        b'{"location": "url:https://x/y.yaml", "entity": {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",'
        b' "metadata": {"name": "a", "description": "\\ud800"}, "spec": {"type": "s", "lifecycle": "l", "owner": "o"}}}'
    )
    with portal.client(READER) as http:
        response = http.post("/api/catalog/validate-entity", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert "description" in response.text and "surrogate" in response.text


# -- list parameters --------------------------------------------------------------------------------------------


def test_too_many_filters_are_refused_naming_the_limit(portal: Portal) -> None:
    with portal.client(READER) as http:
        response = http.get("/api/catalog/entities", params=[("filter", f"metadata.name=n{i}") for i in range(1000)])
    _assert_input_error(response, "filter", "backend.limits.query.maxFilters")


def test_an_overlong_filter_is_refused(portal: Portal) -> None:
    with portal.client(READER) as http:
        response = http.get("/api/catalog/entities", params={"filter": "metadata.name=" + "a" * 5000})
    _assert_input_error(response, "filter", "backend.limits.query.maxFilterLength")


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/api/catalog/entities", {"offset": "99999999999999999999"}, "offset"),
        ("/api/catalog/entities", {"limit": "99999999999999999999"}, "limit"),
        ("/api/catalog/entities", {"limit": "-1"}, "limit"),
        ("/api/catalog/entities", {"limit": "1e3"}, "limit"),
        ("/api/catalog/entities/by-query", {"offset": "99999999999999999999"}, "offset"),
        ("/api/catalog/entities/by-query", {"limit": "-5"}, "limit"),
        ("/api/catalog/entities/by-query", {"limit": "20000"}, "limit"),
        ("/api/scaffolder/v2/tasks", {"limit": "-9223372036854775809"}, "limit"),
        ("/api/scaffolder/v2/tasks", {"limit": "-1"}, "limit"),
        ("/api/scaffolder/v2/tasks", {"offset": "99999999999999999999999"}, "offset"),
        ("/api/scaffolder/v2/tasks", {"offset": "x"}, "offset"),
    ],
)
def test_paging_parameters_out_of_range_are_400_naming_the_parameter(
    portal: Portal, path: str, params: dict[str, str], name: str
) -> None:
    with portal.client() as http:
        response = http.get(path, params=params)
    _assert_input_error(response, name)


def test_paging_at_the_largest_allowed_offset_is_an_empty_page(portal: Portal) -> None:
    with portal.client() as http:
        response = http.get("/api/catalog/entities", params={"offset": str(2**31 - 1), "limit": "5"})
    assert response.status_code == 200 and response.json() == []


# -- analyze-location and deletes say why -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "status", "words"),
    [
        ({"type": 5, "target": "https://example.com/catalog-info.yaml"}, 400, ["type"]),
        ({"type": "url", "target": "/etc/passwd"}, 400, ["/etc/passwd"]),
        ({"type": "file", "target": "/etc/passwd"}, 400, ["file"]),
        ({"type": "url", "target": "file:///etc/passwd"}, 400, ["file:///etc/passwd"]),
        ({"type": "url", "target": "http://127.0.0.1:9/catalog-info.yaml"}, 403, ["backend.reading.allow"]),
        ({"type": "url", "target": "https://exa\u0000mple.com/x.yaml"}, 400, ["target"]),
        ({"type": "url", "target": ""}, 400, ["target"]),
    ],
)
def test_analyze_location_says_why_nothing_was_read(
    portal: Portal, location: dict[str, Any], status: int, words: list[str]
) -> None:
    with portal.client() as http:
        response = http.post("/api/catalog/analyze-location", json={"location": location})
    assert response.status_code == status, response.text
    body = response.json()
    assert body["response"]["statusCode"] == status
    for word in words:
        assert word in body["error"]["message"]


def test_a_caller_who_may_not_delete_is_refused_whether_or_not_it_can_see_the_entity(portal: Portal) -> None:
    with portal.client() as http:
        group = http.get("/api/catalog/entities/by-name/group/default/team-a").json()
        component = http.get("/api/catalog/entities/by-name/component/default/artist-web").json()
    with portal.client(COMPONENT_READER) as http:
        hidden = http.delete(f"/api/catalog/entities/by-uid/{group['metadata']['uid']}")
        visible = http.delete(f"/api/catalog/entities/by-uid/{component['metadata']['uid']}")
        missing = http.delete("/api/catalog/entities/by-uid/00000000-0000-0000-0000-000000000000")
    for response in (hidden, visible, missing):
        assert response.status_code == 403 and response.json()["error"]["name"] == "NotAllowedError"
    with portal.client() as http:
        assert http.get(f"/api/catalog/entities/by-uid/{group['metadata']['uid']}").status_code == 200
        assert http.get(f"/api/catalog/entities/by-uid/{component['metadata']['uid']}").status_code == 200


# -- methods ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/catalog/entities"),
        ("DELETE", "/api/catalog/entity-facets"),
        ("GET", "/api/catalog/validate-entity"),
        ("PATCH", "/api/scaffolder/v2/tasks"),
        ("POST", "/api/search/query"),
    ],
)
def test_405_names_the_allowed_methods(portal: Portal, method: str, path: str) -> None:
    with portal.client() as http:
        response = http.request(method, path)
    assert response.status_code == 405
    assert response.headers.get("allow"), response.headers
    assert response.json()["error"]["name"] == "NotAllowedError"


# -- the limits are configuration ---------------------------------------------------------------------------------


def test_limits_come_from_app_config(tmp_path: Path) -> None:
    cfg: dict[str, Any] = config(write_catalog(tmp_path / "repo"), {"connection": str(tmp_path / "db.sqlite")})
    cfg["backend"]["limits"] = {"requestBody": {"api": "100B"}, "query": {"maxFilters": 2, "maxLimit": 3}}
    runtime = make_runtime(cfg, tmp_path)
    try:
        with Server(runtime.web) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
            assert http.post("/api/catalog/refresh", json={"entityRef": "x" * 200}).status_code == 413
            three = http.get(
                "/api/catalog/entities", params=[("filter", "kind=a"), ("filter", "kind=b"), ("filter", "kind=c")]
            )
            _assert_input_error(three, "maxFilters")
            _assert_input_error(http.get("/api/catalog/entities", params={"limit": "4"}), "limit", "0 to 3")
            assert http.get("/api/catalog/entities", params={"limit": "3"}).status_code == 200
    finally:
        runtime.close()


def test_a_limit_out_of_range_stops_the_portal_at_start_up(tmp_path: Path) -> None:
    cfg: dict[str, Any] = config(write_catalog(tmp_path / "repo"), {"connection": str(tmp_path / "db.sqlite")})
    cfg["backend"]["limits"] = {"query": {"maxFilters": 5000}}
    with pytest.raises(ConfigError, match=r"backend\.limits\.query\.maxFilters"):
        make_runtime(cfg, tmp_path)


# -- pages never name what the viewer cannot read ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/catalog/default/component/artist-lookup",
        "/catalog/default/component/artist-lookup/dependencies?depth=3",
        "/catalog/default/component/artist-lookup/apis",
        "/catalog/default/component/artist-web/dependencies?depth=3&relations=ownedBy",
    ],
)
def test_pages_never_name_entities_the_viewer_cannot_read(portal: Portal, path: str) -> None:
    # component-reader may read Components only: the pages it may see must not name the groups, APIs and
    # resources the components relate to (what the component's own spec says is its own data, on Inspect).
    with portal.client(COMPONENT_READER) as http:
        response = http.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, response.text
    for hidden in ("artist-api", "artists-db", "team-a", "team-b", "platform", "jane"):
        assert hidden not in response.text, hidden


def test_a_viewer_who_reads_groups_but_not_resources_sees_no_resource_on_the_group_page(portal: Portal) -> None:
    with portal.client(GROUP_READER) as http:
        page = http.get("/catalog/default/group/team-b", headers={"accept": "text/html"})
        graph = http.get("/catalog/default/group/team-b/dependencies?depth=2", headers={"accept": "text/html"})
        inspect = http.get("/catalog/default/group/team-b/inspect", headers={"accept": "text/html"})
    assert page.status_code == graph.status_code == inspect.status_code == 200
    for text in (page.text, graph.text, inspect.text):
        assert "artists-db" not in text and "artist-lookup" not in text and "artist-api" not in text
        assert "not in the catalog" not in text
    assert "team-b" in page.text


def test_the_catalog_table_and_its_facets_name_no_hidden_owner(portal: Portal) -> None:
    with portal.client(COMPONENT_READER) as http:
        page = http.get("/catalog", params={"kind": "component"}, headers={"accept": "text/html"})
    assert page.status_code == 200 and "artist-lookup" in page.text
    for hidden in ("team-a", "team-b", "jane"):
        assert hidden not in page.text, hidden


# -- cases Schemathesis found, kept ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"path": "", "base64Content": ""}, "names no file"),
        ({"path": "T" + "\u033a" * 400, "base64Content": ""}, "cannot be written"),
        ({"path": "a.txt", "base64Content": "\u00ff\u00ec"}, "not valid base64"),
        ({"path": "../../etc/x", "base64Content": ""}, "would leave"),
    ],
)
def test_dry_run_template_files_that_cannot_be_files_are_400(portal: Portal, item: dict[str, Any], words: str) -> None:
    with portal.client() as http:
        response = http.post(
            "/api/scaffolder/v2/dry-run", json={"template": {}, "values": {}, "directoryContents": [item]}
        )
    assert response.status_code in (400, 403), response.text
    assert words in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"pageLimit": ""},
        {"pageLimit": "0"},
        {"pageCursor": "eyJvIjogMTAwMDAwMDAwMDAwMDAwMDAwMDAwMDB9"},
        {"term": "x" * 600},
    ],
)
def test_search_parameters_out_of_bounds_are_400(portal: Portal, params: dict[str, str]) -> None:
    with portal.client() as http:
        response = http.get("/api/search/query", params=params)
    assert response.status_code == 400, response.text
