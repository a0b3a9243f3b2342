"""The proxy passes what it should: paths, queries, bodies and headers, as configured."""

from __future__ import annotations

from callboard.core.permissions import SYSTEM
from tests.auth.conftest import Secured
from tests.support import TEST_TOKEN


def test_the_prefix_is_stripped_and_the_query_kept(secured: Secured) -> None:
    with secured.client(TEST_TOKEN) as client:
        seen = client.get("/api/proxy/echo/incidents/42", params={"limit": 5, "q": "a b"}).json()
    assert seen["path"] == "/incidents/42" and seen["query"] == "limit=5&q=a+b"


def test_path_rewrite_and_target_path(secured: Secured) -> None:
    with secured.client(TEST_TOKEN) as client:
        assert client.get("/api/proxy/rewrite/old/thing").json()["path"] == "/base/new/thing"


def test_allowed_methods_and_headers_pass_both_ways(secured: Secured) -> None:
    with secured.client(TEST_TOKEN) as client:
        response = client.post(
            "/api/proxy/echo-rw/items", json={"name": "x"}, headers={"X-Request-Id": "r-1", "X-Other": "no"}
        )
    seen = response.json()
    assert response.status_code == 200 and seen["method"] == "POST" and seen["body"] == '{"name":"x"}'
    assert seen["headers"]["x-request-id"] == "r-1" and "x-other" not in seen["headers"]
    assert seen["headers"]["content-type"] == "application/json"


def test_head_is_allowed_by_default(secured: Secured) -> None:
    with secured.client(TEST_TOKEN) as client:
        assert client.head("/api/proxy/echo/x").status_code == 200


def test_unknown_endpoints_are_404(secured: Secured) -> None:
    with secured.client(TEST_TOKEN) as client:
        response = client.get("/api/proxy/nope/x")
    assert response.status_code == 404 and response.json()["error"]["name"] == "NotFoundError"


def test_refused_calls_are_audited_too(secured: Secured) -> None:
    with secured.client(TEST_TOKEN) as client:
        client.delete("/api/proxy/echo/x")
    row = secured.runtime.audit.read(SYSTEM, actor="service:tests", actions=["proxy.request"], limit=1)[0]
    assert row["status"] == 405 and row["method"] == "DELETE" and "not allowed" in row["details"]["refused"]
