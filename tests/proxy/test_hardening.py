"""The proxy as an attacker tries it: credentials in every case and duplicate, paths in every encoding, slow
upstreams, oversized and lying bodies. The upstream is a real HTTP server that records the raw request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.app import Runtime
from callboard.config_loader import ConfigError
from callboard.core.identity import Identity
from callboard.core.permissions import SYSTEM
from callboard.proxy.paths import PathRefused, safe_remainder
from tests.catalog.fixtures import config, write_catalog
from tests.proxy.upstream import RecordingUpstream
from tests.support import TEST_TOKEN, Server, make_runtime, raw_http

SECRET = "Token token=upstream-secret-0042"


@dataclass
class Portal:
    url: str
    runtime: Runtime
    upstream: RecordingUpstream

    def user_token(self) -> str:
        identity = Identity("user", "user:default/mallory", ("user:default/mallory",), "Mallory", "test")
        return self.runtime.auth.tokens.issue(identity)


def _endpoints(upstream: str) -> dict[str, Any]:
    return {
        "/pagerduty": {"target": upstream, "headers": {"Authorization": SECRET}},
        "/lower": {"target": upstream, "headers": {"authorization": SECRET}},
        "/upper": {"target": upstream, "headers": {"AUTHORIZATION": SECRET}},
        "/keyed": {"target": upstream, "headers": {"X-Api-Key": "key-0042"}},
        "/forward": {"target": upstream, "credentials": "forward", "headers": {"X-Api-Key": "key-0042"}},
        "/forward-configured": {"target": upstream, "credentials": "forward", "headers": {"Authorization": SECRET}},
        "/writes": {"target": upstream, "allowedMethods": ["GET", "POST", "PUT"]},
        "/drip": {"target": upstream, "timeoutSeconds": 2},
    }


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    tmp = tmp_path_factory.mktemp("proxy")
    with RecordingUpstream(drip_seconds=0.5) as upstream:
        cfg = config(write_catalog(tmp / "repo"), {"connection": str(tmp / "db.sqlite")})
        cfg["proxy"] = {"endpoints": _endpoints(upstream.url)}
        runtime = make_runtime(cfg, tmp)
        try:
            with Server(runtime.web) as server:
                yield Portal(server.url, runtime, upstream)
        finally:
            runtime.close()


def _raw_request(portal: Portal, lines: list[str], body: bytes = b"", *, read_timeout: float = 10) -> tuple[int, bytes]:
    return raw_http(
        portal.url,
        [line for line in lines if not line.startswith(("Host:", "Connection:"))],
        body,
        timeout=read_timeout,
    )


def _credentials_seen(record: dict[str, Any]) -> list[str]:
    return [value for name, value in record["raw_headers"] if name.lower() in ("authorization", "cookie")]


# -- the caller's credentials never reach the upstream -------------------------------------------------------

CASES = ["Authorization", "authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"]


@pytest.mark.parametrize("endpoint", ["pagerduty", "lower", "upper"])
@pytest.mark.parametrize("case", CASES)
def test_the_upstream_gets_exactly_the_configured_credentials(portal: Portal, endpoint: str, case: str) -> None:
    token = portal.user_token()
    status, _ = _raw_request(
        portal,
        [
            f"GET /api/proxy/{endpoint}/incidents HTTP/1.1",
            f"Host: {portal.url.removeprefix('http://')}",
            f"{case}: Bearer {token}",
            "Connection: close",
        ],
    )
    record = portal.upstream.last()
    assert status == 200
    assert _credentials_seen(record) == [SECRET]
    assert token not in str(record)


@pytest.mark.parametrize("case", CASES)
def test_duplicate_authorization_headers_are_refused_before_the_proxy(portal: Portal, case: str) -> None:
    token = portal.user_token()
    before = len(portal.upstream.seen)
    status, answer = _raw_request(
        portal,
        [
            "GET /api/proxy/pagerduty/incidents HTTP/1.1",
            f"Host: {portal.url.removeprefix('http://')}",
            f"Authorization: Bearer {token}",
            f"{case}: Bearer {TEST_TOKEN}",
            "Connection: close",
        ],
    )
    assert status == 401 and b"one Authorization header" in answer
    assert len(portal.upstream.seen) == before


def test_a_session_cookie_beside_a_token_never_passes(portal: Portal) -> None:
    token = portal.user_token()
    status, _ = _raw_request(
        portal,
        [
            "GET /api/proxy/pagerduty/incidents HTTP/1.1",
            f"Host: {portal.url.removeprefix('http://')}",
            f"Authorization: Bearer {token}",
            f"Cookie: callboard_session={token}",
            f"cookie: callboard_csrf={token}",
            "Connection: close",
        ],
    )
    record = portal.upstream.last()
    assert status == 200
    assert _credentials_seen(record) == [SECRET]
    assert token not in str(record)


@pytest.mark.parametrize("case", CASES)
def test_an_endpoint_without_configured_credentials_gets_none_of_the_callers(portal: Portal, case: str) -> None:
    token = portal.user_token()
    status, _ = _raw_request(
        portal,
        [
            "GET /api/proxy/keyed/x HTTP/1.1",
            f"Host: {portal.url.removeprefix('http://')}",
            f"{case}: Bearer {token}",
            f"Cookie: callboard_session={token}; callboard_csrf=abc",
            f"X-CSRF-Token: {token}",
            f"Proxy-Authorization: Bearer {token}",
            "Connection: close",
        ],
    )
    record = portal.upstream.last()
    assert status == 200
    assert _credentials_seen(record) == []
    assert token not in str(record) and TEST_TOKEN not in str(record)
    assert ["X-Api-Key", "key-0042"] in record["raw_headers"]


def test_forward_mode_passes_one_bearer_token_and_never_the_cookie(portal: Portal) -> None:
    token = portal.user_token()
    status, _ = _raw_request(
        portal,
        [
            "GET /api/proxy/forward/x HTTP/1.1",
            f"Host: {portal.url.removeprefix('http://')}",
            f"authorization: Bearer {token}",
            f"Cookie: callboard_session={token}",
            "Connection: close",
        ],
    )
    assert status == 200
    assert _credentials_seen(portal.upstream.last()) == [f"Bearer {token}"]


def test_configured_credentials_win_over_forwarded_ones(portal: Portal) -> None:
    token = portal.user_token()
    status, _ = _raw_request(
        portal,
        [
            "GET /api/proxy/forward-configured/x HTTP/1.1",
            f"Host: {portal.url.removeprefix('http://')}",
            f"Authorization: Bearer {token}",
            "Connection: close",
        ],
    )
    assert status == 200
    assert _credentials_seen(portal.upstream.last()) == [SECRET]


@pytest.mark.parametrize("header", ["Authorization", "cookie", "X-CSRF-Token", "Proxy-Authorization"])
def test_allowed_headers_may_not_name_the_portals_credentials(tmp_path: Path, header: str) -> None:
    cfg = config(write_catalog(tmp_path / "repo"), {"connection": str(tmp_path / "db.sqlite")})
    cfg["proxy"] = {"endpoints": {"/leaky": {"target": "https://api.example.com", "allowedHeaders": [header]}}}
    with pytest.raises(ConfigError, match=r"proxy\.endpoints\./leaky\.allowedHeaders.*credentials: forward"):
        make_runtime(cfg, tmp_path)


# -- paths that could leave the target -------------------------------------------------------------------------

ESCAPES = [
    "/..;/admin",
    "/.;/admin",
    "/x/..;jsessionid=1/admin",
    "/%2e%2e;/admin",
    "/%c0%ae%c0%ae/admin",
    "/%e0%80%ae%e0%80%ae/admin",
    "/%c0%2e%c0%2e/admin",
    "/%uff0e%uff0e/admin",
    "/%u002e%u002e/admin",
    "/%ef%bc%8e%ef%bc%8e/admin",
    "/\uff0e\uff0e/admin",
    "/\u2024\u2024/admin",
    "/%e2%80%a4%e2%80%a4/admin",
    "/.. /admin",
    "/.../admin",
    "/%2e%2e%2f..%2fadmin",
    "/%252e%252e%253b/admin",
    "/x%00/admin",
    "/x%0d%0aHost:%20evil",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_the_normaliser_refuses_every_dot_segment_form(path: str) -> None:
    with pytest.raises(PathRefused):
        safe_remainder("/api/proxy/keyed" + path, "/api/proxy/keyed")


@pytest.mark.parametrize("path", ["/incidents/42", "/a.b/c..d", "/v1/items;matrix=1", "/%E2%82%AC", "/dots.../x"])
def test_ordinary_paths_pass_the_normaliser_unchanged(path: str) -> None:
    assert safe_remainder("/api/proxy/keyed" + path, "/api/proxy/keyed") == path


@pytest.mark.parametrize("path", ESCAPES[:10])
def test_escapes_are_refused_over_http_and_never_reach_the_upstream(portal: Portal, path: str) -> None:
    before = len(portal.upstream.seen)
    status, _ = _raw_request(
        portal,
        [
            f"GET /api/proxy/keyed{path} HTTP/1.1",
            f"Host: {portal.url.removeprefix('http://')}",
            f"Authorization: Bearer {TEST_TOKEN}",
            "Connection: close",
        ],
    )
    assert status == 400
    assert len(portal.upstream.seen) == before


# -- time and size ---------------------------------------------------------------------------------------------


def test_the_timeout_is_a_deadline_for_the_whole_exchange(portal: Portal) -> None:
    # The upstream answers at once, then sends one byte every 0.5 s (15 s in all); the endpoint allows 2 s.
    with httpx.Client(timeout=10) as client:
        response = client.get(f"{portal.url}/api/proxy/drip/drip", headers={"Authorization": f"Bearer {TEST_TOKEN}"})
    assert response.status_code == 504
    assert response.json()["error"]["name"] == "ServiceUnavailableError"
    row = portal.runtime.audit.read(SYSTEM, actions=["proxy.request"], limit=1)[0]
    assert row["status"] == 504 and "deadline" in row["details"]["refused"]


def test_a_stream_that_outlives_the_deadline_is_cut_off_visibly(portal: Portal) -> None:
    # 512 KiB arrive at once, so the answer starts; the drip after them passes the 2 s deadline.
    received = 0
    with (
        httpx.Client(timeout=10) as client,
        pytest.raises(httpx.RemoteProtocolError),
        client.stream(
            "GET", f"{portal.url}/api/proxy/drip/bigdrip", headers={"Authorization": f"Bearer {TEST_TOKEN}"}
        ) as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_raw():
            received += len(chunk)
    assert 256 * 1024 <= received < 512 * 1024 + 30
    row = portal.runtime.audit.read(SYSTEM, actions=["proxy.request"], limit=1)[0]
    assert row["status"] == 504 and "while streaming" in row["details"]["refused"]


def test_a_declared_oversized_body_is_refused_before_it_is_read(portal: Portal) -> None:
    before = len(portal.upstream.seen)
    status, answer = _raw_request(
        portal,
        [
            "POST /api/proxy/writes/items HTTP/1.1",
            f"Host: {portal.url.removeprefix('http://')}",
            f"Authorization: Bearer {TEST_TOKEN}",
            "Content-Type: application/json",
            "Content-Length: 999999999999",
            "Connection: close",
        ],
        b"hello",
        read_timeout=5,
    )
    assert status == 413 and b"10485760" in answer
    assert len(portal.upstream.seen) == before


def test_a_streamed_oversized_body_is_cut_off_at_the_limit(portal: Portal) -> None:
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        chunk = b"x" * 65536
        for _ in range(300 * 16):  # 300 MB, without a Content-Length
            sent += len(chunk)
            yield chunk

    before = len(portal.upstream.seen)
    with httpx.Client(timeout=20) as client:
        try:
            response = client.post(
                f"{portal.url}/api/proxy/writes/items",
                content=body(),
                headers={"Authorization": f"Bearer {TEST_TOKEN}"},
            )
            status = response.status_code
        except httpx.HTTPError:
            status = 413  # the server may close the connection while the client is still sending
    assert status == 413
    assert sent < 40 * 1024 * 1024, f"the server read {sent} bytes before refusing"
    assert len(portal.upstream.seen) == before


def test_a_body_within_the_limit_reaches_the_upstream_whole(portal: Portal) -> None:
    payload = b"y" * (2 * 1024 * 1024)
    with httpx.Client(timeout=20) as client:
        response = client.put(
            f"{portal.url}/api/proxy/writes/blob", content=payload, headers={"Authorization": f"Bearer {TEST_TOKEN}"}
        )
    assert response.status_code == 200
    assert len(portal.upstream.last()["body"]) == len(payload)
