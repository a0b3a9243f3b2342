"""Users and Groups from GitHub organisations, as Backstage's ``githubOrg`` provider makes them: members become
Users named by their login, teams become Groups (in a namespace named after the organisation) with their parent
team and members. Read with GitHub's GraphQL API, a page of 100 at a time, through the portal's GitHub
integration client (its token or GitHub App stays on the server)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from callboard.sdk import UpstreamError, check_response
from callboard_org.model import Org
from callboard_org.settings import GithubOrgProvider

MEMBERS = """
query OrgMembers($org: String!, $first: Int!, $cursor: String) {
  organization(login: $org) {
    membersWithRole(first: $first, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes { login name email bio avatarUrl organizationVerifiedDomainEmails(login: $org) }
    }
  }
}
"""
TEAMS = """
query OrgTeams($org: String!, $first: Int!, $cursor: String) {
  organization(login: $org) {
    teams(first: $first, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes {
        slug combinedSlug name description avatarUrl editTeamUrl
        parentTeam { slug }
        members(first: 100, membership: IMMEDIATE) { pageInfo { hasNextPage endCursor } nodes { login } }
      }
    }
  }
}
"""
TEAM_MEMBERS = """
query TeamMembers($org: String!, $team: String!, $first: Int!, $cursor: String) {
  organization(login: $org) {
    team(slug: $team) {
      members(first: $first, after: $cursor, membership: IMMEDIATE) {
        pageInfo { hasNextPage endCursor }
        nodes { login }
      }
    }
  }
}
"""
LOGIN_ANNOTATION = "github.com/user-login"
TEAM_ANNOTATION = "github.com/team-slug"


def client_name(provider: GithubOrgProvider) -> str:
    """The integration client for the provider's GitHub (``integrations.github`` with that host)."""
    return f"github:{urlsplit(provider.github_url).hostname or 'github.com'}"


def graphql_path(http: httpx.Client) -> str:
    """GitHub Enterprise serves GraphQL at /api/graphql beside /api/v3; github.com at api.github.com/graphql."""
    base = str(http.base_url).rstrip("/")
    return base.removesuffix("/api/v3") + "/api/graphql" if base.endswith("/api/v3") else base + "/graphql"


def _query(http: httpx.Client, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    response = check_response(
        http.post(graphql_path(http), json={"query": document, "variables": dict(variables)}), "GitHub"
    )
    body = response.json()
    if body.get("errors"):
        messages = "; ".join(str(problem.get("message")) for problem in body["errors"])
        raise UpstreamError(f"GitHub GraphQL: {messages}")
    data: dict[str, Any] = body.get("data") or {}
    return data


def _paged(http: httpx.Client, document: str, variables: Mapping[str, Any], *path: str) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        found: Any = _query(http, document, {**variables, "first": 100, "cursor": cursor})
        for part in path:
            found = (found or {}).get(part)
        if found is None:
            return
        yield from found.get("nodes") or []
        info = found.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        cursor = info.get("endCursor")


def read_organisations(http: httpx.Client, provider: GithubOrgProvider) -> Org:
    org = Org()
    users: dict[str, dict[str, Any]] = {}
    member_of: dict[str, set[str]] = defaultdict(set)
    for login in provider.orgs:
        namespace = "default" if provider.always_use_default_namespace else login.lower()
        for member in _paged(http, MEMBERS, {"org": login}, "organization", "membersWithRole"):
            users.setdefault(member["login"], _user(member))
        teams = list(_paged(http, TEAMS, {"org": login}, "organization", "teams"))
        for team in teams:
            members = team.get("members") or {}
            logins = [node["login"] for node in members.get("nodes") or []]
            if (members.get("pageInfo") or {}).get("hasNextPage"):  # more than 100: read the rest of them
                variables = {"org": login, "team": team["slug"]}
                logins = [n["login"] for n in _paged(http, TEAM_MEMBERS, variables, "organization", "team", "members")]
            ref = f"group:{namespace}/{team['slug']}"
            for member_login in logins:
                member_of[member_login].add(ref)
            org.groups.append(_group(team, namespace, login))
    for login, user in users.items():
        user["spec"]["memberOf"] = sorted(member_of.get(login, ()))
    children: dict[str, list[str]] = defaultdict(list)
    for group in org.groups:
        parent = group["spec"].get("parent")
        if parent:
            children[parent].append(f"group:{group['metadata']['namespace']}/{group['metadata']['name']}")
    for group in org.groups:
        group["spec"]["children"] = sorted(
            children.get(f"group:{group['metadata']['namespace']}/{group['metadata']['name']}", ())
        )
    org.users = sorted(users.values(), key=lambda entity: str(entity["metadata"]["name"]))
    return org


def _user(member: Mapping[str, Any]) -> dict[str, Any]:
    profile: dict[str, str] = {}
    if member.get("name"):
        profile["displayName"] = str(member["name"])
    verified = member.get("organizationVerifiedDomainEmails") or []
    email = verified[0] if verified else member.get("email")
    if email:
        profile["email"] = str(email)
    if member.get("avatarUrl"):
        profile["picture"] = str(member["avatarUrl"])
    metadata: dict[str, Any] = {"name": member["login"], "annotations": {LOGIN_ANNOTATION: member["login"]}}
    if member.get("bio"):
        metadata["description"] = str(member["bio"])
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": metadata,
        "spec": {"profile": profile, "memberOf": []},
    }


def _group(team: Mapping[str, Any], namespace: str, organisation: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": team["slug"],
        "namespace": namespace,
        "annotations": {TEAM_ANNOTATION: team.get("combinedSlug") or f"{organisation}/{team['slug']}"},
    }
    if team.get("editTeamUrl"):
        metadata["annotations"]["backstage.io/edit-url"] = team["editTeamUrl"]
    if team.get("description"):
        metadata["description"] = team["description"]
    profile: dict[str, str] = {"displayName": team.get("name") or team["slug"]}
    if team.get("avatarUrl"):
        profile["picture"] = team["avatarUrl"]
    spec: dict[str, Any] = {"type": "team", "profile": profile, "children": []}
    parent = team.get("parentTeam")
    if parent and parent.get("slug"):
        spec["parent"] = f"group:{namespace}/{parent['slug']}"
    return {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": metadata, "spec": spec}
