"""Users and Groups from a GitHub organisation with Backstage's ``catalog.providers.githubOrg`` keys, read with
GitHub's GraphQL API from the local GitHub stand-in through the portal's GitHub integration (its token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.sdk.testing import GitHubMember as Member
from callboard.sdk.testing import GitHubOrganisation as Organisation
from callboard.sdk.testing import GitHubTeam as OrgTeam
from callboard.sdk.testing import Portal, VendorStandIns

TOKEN = "ghp_org-reader-token-0042"
TASK = "org.provider.github-production"
#: More members than one page (100): the reader follows GitHub's cursors.
MEMBERS = [Member(f"dev-{n:03}", f"Developer {n:03}", None) for n in range(130)]
NAMED = [
    Member("octocat", "The Octocat", "octocat@northwind.example", "Mascot"),
    Member("hubot", None, None),
]


@pytest.fixture
def callboard_config(vendors: VendorStandIns, tmp_path: Path) -> dict[str, Any]:
    vendors.github.credentials = {TOKEN}
    vendors.github.orgs.add(
        Organisation(
            "Northwind",
            [*NAMED, *MEMBERS],
            [
                OrgTeam("engineering", "Engineering", "Everyone who builds", None, ["octocat"]),
                OrgTeam("platform", "Platform", "Paved roads", "engineering", ["octocat", "hubot"]),
                # More members than GitHub returns inside the teams query: read with a query of their own.
                OrgTeam("everyone", "Everyone", None, None, [m.login for m in MEMBERS]),
            ],
        )
    )
    return {
        "integrations": {"github": [{"host": "github.com", "apiBaseUrl": f"{vendors.url}/github", "token": TOKEN}]},
        "catalog": {
            "providers": {"githubOrg": {"id": "production", "githubUrl": "https://github.com", "orgs": ["Northwind"]}}
        },
    }


def _entities(client: httpx.Client, kind: str) -> dict[str, dict[str, Any]]:
    response = client.get("/api/catalog/entities", params={"filter": f"kind={kind}"})
    assert response.status_code == 200
    return {f"{e['metadata']['namespace']}/{e['metadata']['name']}": e for e in response.json()}


def test_members_and_teams_arrive_with_hierarchy_and_memberships(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    assert portal.run_task(TASK) == "succeeded"
    portal.process_catalog()
    users, groups = _entities(client, "user"), _entities(client, "group")
    assert len(users) == len(MEMBERS) + 2
    octocat = users["default/octocat"]
    assert octocat["spec"]["profile"]["displayName"] == "The Octocat"
    assert octocat["spec"]["profile"]["email"] == "octocat@northwind.example"
    assert octocat["metadata"]["annotations"]["github.com/user-login"] == "octocat"
    assert octocat["spec"]["memberOf"] == ["group:northwind/engineering", "group:northwind/platform"]
    assert set(groups) == {"northwind/engineering", "northwind/platform", "northwind/everyone"}
    platform = groups["northwind/platform"]
    assert platform["spec"]["parent"] == "group:northwind/engineering"
    assert platform["spec"]["profile"]["displayName"] == "Platform"
    assert platform["metadata"]["annotations"]["github.com/team-slug"] == "Northwind/platform"
    assert groups["northwind/engineering"]["spec"]["children"] == ["group:northwind/platform"]
    assert "group:northwind/everyone" in users["default/dev-129"]["spec"]["memberOf"]  # past the first 100
    assert vendors.github.orgs.queries.count("TeamMembers") == 2  # 130 members: two pages of 100
    # GraphQL queries are reads: nothing is written to the audit log as a plugin write.
    assert not portal.audit_entries(actions=["org.http.post"])


def test_a_token_github_refuses_fails_the_run_with_the_reason(portal: Portal, vendors: VendorStandIns) -> None:
    vendors.github.credentials = {"another-token"}
    ended = portal.run_task(TASK)
    assert ended.startswith("failed") and "401" in ended, ended
