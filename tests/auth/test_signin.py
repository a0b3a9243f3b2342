"""Signing in through real OAuth flows against the local providers, and what the session then carries."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.auth.conftest import Secured

JANE = {"sub": "u-1", "email": "jane@example.com", "name": "Jane D."}

#: Browsers opened by a test, closed after it (an unclosed client is a ResourceWarning, an error here).
OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_browsers() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def sign_in(secured: Secured, provider: str, return_to: str = "/catalog") -> tuple[httpx.Client, httpx.Response]:
    browser = httpx.Client(follow_redirects=True, timeout=30, headers={"accept": "text/html"})
    OPEN.append(browser)
    response = browser.get(f"{secured.url}/api/auth/{provider}/start", params={"return": return_to})
    return browser, response


def session_of(browser: httpx.Client, secured: Secured) -> dict[str, object]:
    response = browser.get(f"{secured.url}/api/auth/session", headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 200, response.text
    return response.json()["backstageIdentity"]["identity"]  # type: ignore[no-any-return]


def test_oidc_sign_in_maps_the_email_to_the_user_and_returns_to_the_page(secured: Secured) -> None:
    secured.oidc.user, secured.oidc.tamper = dict(JANE), None
    browser, response = sign_in(secured, "oidc", "/catalog?kind=api")
    assert response.status_code == 200 and str(response.url) == f"{secured.url}/catalog?kind=api"
    cookie = next(c for c in browser.cookies.jar if c.name == "callboard_session")
    assert cookie.has_nonstandard_attr("HttpOnly") or "httponly" in str(cookie._rest).lower()
    identity = session_of(browser, secured)
    assert identity["userEntityRef"] == "user:default/jane"
    # Ownership is transitive: jane's team-a, and team-a's parent, platform.
    assert identity["ownershipEntityRefs"] == ["user:default/jane", "group:default/team-a", "group:default/platform"]


def test_github_sign_in_maps_the_login_to_the_user(secured: Secured) -> None:
    secured.github.user = {"login": "jane", "id": 7, "name": "Jane", "email": None}
    browser, response = sign_in(secured, "github")
    assert str(response.url) == f"{secured.url}/catalog"
    assert session_of(browser, secured)["userEntityRef"] == "user:default/jane"


def test_sign_in_without_a_matching_user_is_refused_with_a_reason(secured: Secured) -> None:
    secured.oidc.user, secured.oidc.tamper = {"sub": "u-9", "email": "stranger@example.com"}, None
    browser, response = sign_in(secured, "oidc")
    assert "/signin?error=" in str(response.url)
    assert "stranger@example.com" in response.text and "no User entity in the catalog matches" in response.text
    assert "callboard_session" not in browser.cookies


def test_sign_out_ends_the_session(secured: Secured) -> None:
    secured.oidc.user, secured.oidc.tamper = dict(JANE), None
    browser, _ = sign_in(secured, "oidc")
    csrf = browser.cookies.get("callboard_csrf")
    out = browser.post(f"{secured.url}/signout", data={"csrf_token": csrf})
    assert str(out.url).startswith(f"{secured.url}/signin")
    assert browser.get(f"{secured.url}/catalog").url.path == "/signin"


def test_the_signin_page_offers_the_configured_providers(secured: Secured) -> None:
    page = httpx.get(f"{secured.url}/signin").text
    assert "Sign in with Single sign-on" in page and "Sign in with GitHub" in page
    assert "Continue as guest" not in page


@pytest.mark.parametrize("provider", ["nope", "guest"])
def test_unknown_providers_are_refused(secured: Secured, provider: str) -> None:
    response = httpx.get(f"{secured.url}/api/auth/{provider}/start")
    assert response.status_code == 400 and "No sign-in provider" in response.json()["error"]["message"]
