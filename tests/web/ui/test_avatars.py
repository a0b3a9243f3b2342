"""Profile pictures: shown where the pages' content policy lets the browser load them (``backend.csp``, as in
Backstage), initials otherwise; the policy header says the same as the pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from callboard.web.ui.rendering import avatar, picture_allowed
from callboard.web.ui.security import CONTENT_SECURITY_POLICY, content_security_policy, policy_directives
from tests.support import AUTH, write
from tests.web.ui.conftest import Portal, running_portal

ADA = {"kind": "User", "metadata": {"name": "ada"}, "spec": {"profile": {"displayName": "Ada Lovelace"}}}


def with_picture(url: str) -> dict[str, object]:
    return {**ADA, "spec": {"profile": {"displayName": "Ada Lovelace", "picture": url}}}


def test_pictures_follow_the_img_src_of_the_content_policy() -> None:
    strict = picture_allowed(policy_directives()["img-src"])
    assert strict("/static/people/ada.png") and strict("data:image/png;base64,AAAA")
    assert not strict("https://avatars.example.com/ada.png") and not strict("javascript:alert(1)")
    opened = picture_allowed(policy_directives({"img-src": ["'self'", "https://avatars.example.com"]})["img-src"])
    assert opened("https://avatars.example.com/ada.png") and not opened("https://elsewhere.example/x.png")
    assert not opened("http://avatars.example.com/ada.png")  # not over plain HTTP
    shown = avatar(with_picture("https://avatars.example.com/ada.png"), allowed=opened)
    assert shown.startswith('<img class="avatar" src="https://avatars.example.com/ada.png"')
    initials = avatar(with_picture("https://avatars.example.com/ada.png"), allowed=strict)
    assert ">AL</span>" in initials


def test_backend_csp_changes_directives_as_backstage_does() -> None:
    directives = policy_directives({"img-src": ["'self'", "https:"], "frame-ancestors": False})
    policy = content_security_policy(directives)
    assert "img-src 'self' https:" in policy and "frame-ancestors" not in policy
    assert "script-src 'self';" in policy  # untouched directives stay
    assert content_security_policy(policy_directives()) == CONTENT_SECURITY_POLICY


@pytest.fixture(scope="module")
def portal_with_avatars(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    folder = tmp_path_factory.mktemp("avatars")
    with running_portal(folder, csp={"img-src": ["'self'", "data:", "https://avatars.example.com"]}) as portal:
        yield portal


def test_a_portal_that_allows_an_avatar_host_shows_its_pictures(portal_with_avatars: Portal, tmp_path: Path) -> None:
    portal = portal_with_avatars
    write(
        portal.repo / "people.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: grace}\n"
        "spec: {profile: {displayName: Grace Hopper, picture: 'https://avatars.example.com/grace.png'},"
        " memberOf: []}\n",
    )
    portal.runtime.catalog.add_location("url", f"{portal.repo_url}/people.yaml", dry_run=False)
    portal.settle()
    page = httpx.get(f"{portal.url}/catalog/default/user/grace", headers={"accept": "text/html", **AUTH}, timeout=30)
    assert "img-src 'self' data: https://avatars.example.com" in page.headers["content-security-policy"]
    assert '<img class="avatar large" src="https://avatars.example.com/grace.png"' in page.text
