"""People sign in as who the organisation says they are: Users and Groups loaded by the org plugin from a real
OpenLDAP (Debian's slapd) and from a GitHub organisation (the GitHub stand-in's GraphQL API), then an OpenID
Connect sign-in whose email matches a directory entry, and a GitHub sign-in whose login matches a member, each
with ownership through their groups. No catalog-info.yaml lists anyone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

import callboard_org
from callboard.app import Runtime
from callboard.standins import VendorStandIns
from callboard.standins.github_org import Member, Organisation, OrgTeam
from callboard_org.testing import Person, Slapd, Team, provider_config
from tests.auth.conftest import portal_config
from tests.auth.fakes import FakeGithub, FakeOidc, Upstream
from tests.catalog.fixtures import write_catalog
from tests.support import Server, database_for, free_port, make_runtime


@dataclass
class Directory:
    url: str
    runtime: Runtime
    oidc: FakeOidc
    github: FakeGithub


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def directory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    tmp = tmp_path_factory.mktemp(str(request.param))
    slapd = Slapd(tmp / "slapd", free_port())
    try:
        slapd.seed(
            [
                Person("mlopez", "Maria Lopez", "maria.lopez@northwind.example"),
                Person("kim", "Kim Lee", "kim@x.example"),
            ],
            [Team("checkout", "Checkout team", ["mlopez"]), Team("commerce", "Commerce", ["checkout", "kim"])],
        )
        oidc, github, upstream = FakeOidc(), FakeGithub(), Upstream()
        with (
            VendorStandIns() as vendors,
            Server(oidc.app) as oidc_server,
            Server(github.app) as github_server,
            Server(upstream.app) as upstream_server,
            database_for(str(request.param), tmp) as database,
        ):
            oidc.issuer = oidc_server.url
            port = free_port()
            config = portal_config(
                write_catalog(tmp / "repo"), database, port, oidc_server.url, github_server.url, upstream_server.url
            )
            vendors.github.orgs.add(
                Organisation(
                    "northwind",
                    [Member("octocat", "The Octocat"), Member("hubot")],
                    [
                        OrgTeam("web", "Web", members=["octocat"]),
                        OrgTeam("site", "Site", parent="web", members=["hubot"]),
                    ],
                )
            )
            config["catalog"]["providers"] = {
                "ldapOrg": {"corp": dict(provider_config(slapd.url))},
                "githubOrg": {"id": "public", "orgs": ["northwind"]},
            }
            config["integrations"] = {"github": [{"host": "github.com", "apiBaseUrl": f"{vendors.url}/github"}]}
            runtime = make_runtime(config, tmp, plugins={"org": callboard_org})
            try:
                for provider in ("org.provider.ldap-corp", "org.provider.github-public"):
                    run = runtime.scheduler.run_now(provider, by="test")
                    assert run.status == "succeeded", run.error
                runtime.catalog.sync_locations()
                runtime.engine.run_until_idle(60)
                with Server(runtime.web, port=port) as server:
                    yield Directory(server.url, runtime, oidc, github)
            finally:
                runtime.close()
    finally:
        slapd.stop()


def test_a_person_from_the_directory_signs_in_and_owns_through_its_groups(directory: Directory) -> None:
    directory.oidc.user, directory.oidc.tamper = {"sub": "u-1", "email": "maria.lopez@northwind.example"}, None
    with httpx.Client(follow_redirects=True, timeout=30, headers={"accept": "text/html"}) as browser:
        signed_in = browser.get(f"{directory.url}/api/auth/oidc/start", params={"return": "/catalog"})
        assert signed_in.status_code == 200 and str(signed_in.url) == f"{directory.url}/catalog"
        session = browser.get(f"{directory.url}/api/auth/session", headers={"X-Requested-With": "XMLHttpRequest"})
    identity = session.json()["backstageIdentity"]["identity"]
    assert identity["userEntityRef"] == "user:default/mlopez"
    # Her team from the directory, and the department it is nested in.
    assert identity["ownershipEntityRefs"] == [
        "user:default/mlopez",
        "group:default/checkout",
        "group:default/commerce",
    ]


def test_someone_the_directory_does_not_know_is_refused(directory: Directory) -> None:
    directory.oidc.user, directory.oidc.tamper = {"sub": "u-2", "email": "visitor@elsewhere.example"}, None
    with httpx.Client(follow_redirects=True, timeout=30, headers={"accept": "text/html"}) as browser:
        refused = browser.get(f"{directory.url}/api/auth/oidc/start", params={"return": "/catalog"})
        assert "/signin?error=" in str(refused.url)
        assert "no User entity in the catalog matches" in refused.text
        assert "callboard_session" not in browser.cookies


def test_a_member_of_the_github_organisation_signs_in_with_github(directory: Directory) -> None:
    directory.github.user = {"login": "hubot", "id": 9, "name": None, "email": None}
    with httpx.Client(follow_redirects=True, timeout=30, headers={"accept": "text/html"}) as browser:
        signed_in = browser.get(f"{directory.url}/api/auth/github/start", params={"return": "/catalog"})
        assert str(signed_in.url) == f"{directory.url}/catalog"
        session = browser.get(f"{directory.url}/api/auth/session", headers={"X-Requested-With": "XMLHttpRequest"})
    identity = session.json()["backstageIdentity"]["identity"]
    assert identity["userEntityRef"] == "user:default/hubot"
    # Their team in the organisation's namespace, and its parent team.
    assert identity["ownershipEntityRefs"] == ["user:default/hubot", "group:northwind/site", "group:northwind/web"]
