"""The security matrix: each row an attack or a misuse, and what Callboard must answer.

Rows cover missing and bad credentials (forged, expired, ``alg: none``, algorithm confusion, foreign
audience or issuer, tampered), CSRF, open redirects, session fixation, OAuth state and ID-token checks, and
the proxy (method bypass, header smuggling, traversal in every encoding, credential reflection, secrets,
size and time limits, group limits).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from urllib.parse import quote

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from callboard.core.permissions import SYSTEM
from tests.auth.conftest import CI_TOKEN, SECRET, Secured
from tests.auth.test_signin import JANE, OPEN, _close_browsers, sign_in
from tests.support import TEST_TOKEN


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(secured: Secured, **changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": secured.runtime.auth.tokens.issuer,
        "aud": "callboard",
        "sub": "user:default/jane",
        "ent": ["user:default/jane"],
        "typ": "user",
        "iat": now,
        "exp": now + 600,
    }
    return {**base, **changes}


def real_kid(secured: Secured) -> str:
    return str(jwt.get_unverified_header(secured.token_for("user:default/jane"))["kid"])


def forged(secured: Secured) -> str:
    other = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims(secured), other, algorithm="ES256", headers={"kid": real_kid(secured)})


def alg_none(secured: Secured) -> str:
    return f"{b64({'alg': 'none', 'kid': real_kid(secured)})}.{b64(claims(secured))}."


def alg_confusion(secured: Secured) -> str:
    """HS256 signed with the public key as the secret: the classic confusion attack."""
    kid = real_kid(secured)
    public = secured.runtime.auth.tokens._public_key(kid)
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header, body = b64({"alg": "HS256", "kid": kid, "typ": "JWT"}), b64(claims(secured))
    import hashlib
    import hmac

    signature = hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def tampered(secured: Secured) -> str:
    header, _, signature = secured.token_for("user:default/jane").split(".")
    body = b64(claims(secured, sub="user:default/admin", ent=["group:default/platform"]))
    return f"{header}.{body}.{signature}"


def signed(secured: Secured, **changes: object) -> str:
    kid, key = secured.runtime.auth.tokens._signing_key()
    return jwt.encode(claims(secured, **changes), key, algorithm="ES256", headers={"kid": kid})


__all__ = ["_close_browsers"]  # the autouse fixture that closes browsers applies here too

BAD_TOKENS: dict[str, Callable[[Secured], str]] = {
    "forged signature": forged,
    "alg none": alg_none,
    "alg confusion (HS256 with the public key)": alg_confusion,
    "tampered payload": tampered,
    "expired": lambda s: signed(s, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "foreign audience": lambda s: signed(s, aud="backstage"),
    "foreign issuer": lambda s: signed(s, iss="https://evil.example/api/auth"),
    "unknown service token": lambda s: "not-a-configured-token",
    "garbage": lambda s: "a.b.c",
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_bad_tokens_get_401_with_backstages_error_body(secured: Secured, case: str) -> None:
    response = httpx.get(
        f"{secured.url}/api/catalog/entities", headers={"Authorization": f"Bearer {BAD_TOKENS[case](secured)}"}
    )
    assert response.status_code == 401, case
    body = response.json()
    assert body["error"]["name"] == "AuthenticationError" and body["response"]["statusCode"] == 401


def test_no_credentials_on_the_api_is_401(secured: Secured) -> None:
    response = httpx.get(f"{secured.url}/api/catalog/entities")
    assert response.status_code == 401 and response.json()["error"]["message"] == "Missing credentials"


def test_no_credentials_on_a_page_sends_the_browser_to_sign_in(secured: Secured) -> None:
    response = httpx.get(f"{secured.url}/catalog?kind=api", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?return=" + quote("/catalog?kind=api", safe="")


def test_malformed_authorization_header_is_401(secured: Secured) -> None:
    response = httpx.get(f"{secured.url}/api/catalog/entities", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401 and "Bearer" in response.json()["error"]["message"]


@pytest.mark.parametrize("token", ["service", "user"])
def test_valid_tokens_are_accepted(secured: Secured, token: str) -> None:
    value = TEST_TOKEN if token == "service" else secured.token_for("user:default/jane")
    assert (
        httpx.get(f"{secured.url}/api/catalog/entities", headers={"Authorization": f"Bearer {value}"}).status_code
        == 200
    )


def test_an_expired_session_cookie_sends_the_browser_to_sign_in(secured: Secured) -> None:
    expired = signed(secured, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    response = httpx.get(
        f"{secured.url}/catalog", headers={"accept": "text/html"}, cookies={"callboard_session": expired}
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


def cookie_browser(secured: Secured) -> httpx.Client:
    secured.oidc.user, secured.oidc.tamper = dict(JANE), None
    browser, response = sign_in(secured, "oidc")
    assert response.status_code == 200
    browser.follow_redirects = False
    return browser


def test_csrf_api_change_with_only_the_cookie_needs_the_header(secured: Secured) -> None:
    browser = cookie_browser(secured)
    response = browser.post(f"{secured.url}/api/catalog/refresh", json={"entityRef": "component:default/artist-web"})
    assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]
    with_header = browser.post(
        f"{secured.url}/api/catalog/refresh",
        json={"entityRef": "component:default/artist-web"},
        headers={"X-CSRF-Token": browser.cookies.get("callboard_csrf") or ""},
    )
    assert with_header.status_code == 200


@pytest.mark.parametrize("token", ["", "wrong-token-value-0123456789abcdef0123"])
def test_csrf_page_form_without_the_right_token_is_refused(secured: Secured, token: str) -> None:
    browser = cookie_browser(secured)
    response = browser.post(
        f"{secured.url}/catalog/default/component/artist-web/refresh",
        data={"csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 403 and "CSRF" in response.text


def test_csrf_cross_site_form_post_is_refused_even_with_a_token(secured: Secured) -> None:
    browser = cookie_browser(secured)
    response = browser.post(
        f"{secured.url}/catalog/default/component/artist-web/refresh",
        data={"csrf_token": browser.cookies.get("callboard_csrf")},
        headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/%0d%0aSet-Cookie:x"],
)
def test_open_redirects_after_sign_in_land_on_the_portal(secured: Secured, target: str) -> None:
    secured.oidc.user, secured.oidc.tamper = dict(JANE), None
    _, response = sign_in(secured, "oidc", target)
    assert response.url.host == "127.0.0.1" and str(response.url).startswith(secured.url)
    if not target.startswith("/%0d"):
        assert response.url.path in ("/", "/catalog")  # "/" is the catalog


def test_session_fixation_sign_in_replaces_any_session_set_before(secured: Secured) -> None:
    planted = secured.token_for("user:default/attacker")
    secured.oidc.user, secured.oidc.tamper = dict(JANE), None
    browser = httpx.Client(follow_redirects=True, cookies={"callboard_session": planted})
    OPEN.append(browser)
    browser.get(f"{secured.url}/api/auth/oidc/start")
    values = [c.value for c in browser.cookies.jar if c.name == "callboard_session"]
    assert planted not in values or len(values) > 1
    identity = browser.get(f"{secured.url}/api/auth/session", headers={"X-Requested-With": "XMLHttpRequest"}).json()
    assert identity["backstageIdentity"]["identity"]["userEntityRef"] == "user:default/jane"


@pytest.mark.parametrize("tamper", ["state", "nonce", "audience", "expired", "issuer", "signature", "alg-none", "deny"])
def test_oauth_and_id_token_checks_refuse_sign_in(secured: Secured, tamper: str) -> None:
    secured.oidc.user, secured.oidc.tamper = dict(JANE), tamper
    try:
        browser, response = sign_in(secured, "oidc")
    finally:
        secured.oidc.tamper = None
    assert response.url.path == "/signin" and "error=" in str(response.url), tamper
    assert "callboard_session" not in browser.cookies


def test_oauth_callback_without_the_state_cookie_is_refused(secured: Secured) -> None:
    response = httpx.get(f"{secured.url}/api/auth/oidc/handler/frame", params={"code": "x", "state": "y"})
    assert response.status_code == 303 and "no%20state" in response.headers["location"]


def test_guest_sign_in_is_not_available_here(secured: Secured) -> None:
    assert httpx.post(f"{secured.url}/signin/guest", data={"csrf_token": "x"}).status_code == 403


# -- the proxy ---------------------------------------------------------------------------------------------


def proxy(
    secured: Secured, method: str, path: str, token: str | None = TEST_TOKEN, **options: object
) -> httpx.Response:
    headers = dict(options.pop("headers", {}) or {})  # type: ignore[call-overload]
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.request(method, f"{secured.url}/api/proxy{path}", headers=headers, timeout=30, **options)  # type: ignore[arg-type]


def test_proxy_needs_an_identity(secured: Secured) -> None:
    response = proxy(secured, "GET", "/echo/x", token=None)
    assert response.status_code == 401


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_proxy_method_bypass_is_refused_and_never_reaches_upstream(secured: Secured, method: str) -> None:
    before = len(secured.upstream.seen)
    response = proxy(secured, method, "/echo/items", content=b"{}")
    assert response.status_code == 405 and "GET, HEAD" in response.json()["error"]["message"]
    assert len(secured.upstream.seen) == before


def test_proxy_method_override_headers_do_not_pass(secured: Secured) -> None:
    response = proxy(secured, "GET", "/echo/items", headers={"X-HTTP-Method-Override": "DELETE"})
    seen = response.json()
    assert seen["method"] == "GET" and "x-http-method-override" not in seen["headers"]


@pytest.mark.parametrize(
    "path",
    [
        "/echo/../admin",
        "/echo/%2e%2e/admin",
        "/echo/%2E%2E%2Fadmin",
        "/echo/%252e%252e/admin",
        "/echo/a/%2e/b",
        "/echo/..%5cadmin",
        "/echo//evil.example/x",
        "/echo/http:%2F%2Fevil.example",
    ],
)
def test_proxy_paths_cannot_leave_the_target(secured: Secured, path: str) -> None:
    before = len(secured.upstream.seen)
    raw = httpx.Request("GET", f"{secured.url}/api/proxy{path}", headers={"Authorization": f"Bearer {TEST_TOKEN}"})
    with httpx.Client() as client:
        response = client.send(raw)
    assert response.status_code in (400, 404), path
    assert len(secured.upstream.seen) == before


def test_proxy_never_forwards_the_callers_credentials(secured: Secured) -> None:
    seen = proxy(secured, "GET", "/echo/who", headers={"Cookie": "callboard_session=abc"}).json()["headers"]
    assert "authorization" not in seen and "cookie" not in seen
    assert seen["x-api-key"] == SECRET  # the configured header is what authenticates the portal upstream


def test_proxy_forward_mode_passes_the_token_on(secured: Secured) -> None:
    seen = proxy(secured, "GET", "/fwd/who").json()["headers"]
    assert seen["authorization"] == f"Bearer {TEST_TOKEN}"


def test_proxy_smuggling_headers_are_not_forwarded(secured: Secured) -> None:
    seen = proxy(
        secured,
        "GET",
        "/echo/x",
        headers={
            "Transfer-Encoding": "chunked",
            "Connection": "X-Api-Key",
            "X-Forwarded-For": "1.2.3.4",
            "Upgrade": "h2c",
        },
    ).json()["headers"]
    assert "upgrade" not in seen and "x-forwarded-for" not in seen and seen.get("transfer-encoding") != "chunked"
    assert seen["x-api-key"] == SECRET  # a Connection header naming it cannot strip it either


def test_proxy_responses_drop_cookies_hop_by_hop_and_unlisted_headers(secured: Secured) -> None:
    response = proxy(secured, "GET", "/echo/x")
    assert "set-cookie" not in response.headers and "x-upstream-secret" not in response.headers
    assert response.headers.get("etag") == '"v1"'


def test_proxy_secrets_never_reach_error_responses_or_logs(secured: Secured, caplog: pytest.LogCaptureFixture) -> None:
    response = proxy(secured, "GET", "/down/x")
    assert response.status_code == 502
    assert SECRET not in response.text and SECRET not in caplog.text
    rows = secured.runtime.audit.read(SYSTEM, actions=["proxy.request"], limit=5)
    assert SECRET not in json.dumps(rows)


def test_proxy_limits_response_size_and_time(secured: Secured) -> None:
    large = proxy(secured, "GET", "/tiny/large")
    assert large.status_code == 502 and "larger than allowed" in large.json()["error"]["message"]
    slow = proxy(secured, "GET", "/tiny/slow")
    assert slow.status_code == 504


def test_proxy_endpoint_limited_to_a_group_by_the_policy(secured: Secured) -> None:
    member = secured.token_for("user:default/bob", "group:default/team-b")
    other = secured.token_for("user:default/jane", "group:default/team-a")
    assert proxy(secured, "GET", "/ops/x", token=member).status_code == 200
    assert proxy(secured, "GET", "/ops/x", token=CI_TOKEN).status_code == 200
    refused = proxy(secured, "GET", "/ops/x", token=other)
    assert refused.status_code == 403 and "proxy.ops" in refused.json()["error"]["message"]


def test_only_endpoints_declared_unauthenticated_are_open(secured: Secured) -> None:
    assert proxy(secured, "GET", "/open/x", token=None).status_code == 200
    assert proxy(secured, "GET", "/echo-rw/x", token=None).status_code == 401
