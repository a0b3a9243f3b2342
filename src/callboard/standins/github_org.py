"""GitHub's GraphQL API for an organisation's people: members (``membersWithRole``) and teams with their parent
team and immediate members, paged with cursors as docs.github.com/graphql documents them. The stand-in answers
the queries by their operation name (``OrgMembers``, ``OrgTeams``, ``TeamMembers``), with GitHub's shapes.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from callboard.standins.base import error


@dataclass
class Member:
    login: str
    name: str | None = None
    email: str | None = None
    bio: str | None = None


@dataclass
class OrgTeam:
    slug: str
    name: str
    description: str | None = None
    parent: str | None = None
    members: Sequence[str] = ()


@dataclass
class Organisation:
    login: str
    members: list[Member] = field(default_factory=list)
    teams: list[OrgTeam] = field(default_factory=list)


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _after(cursor: str | None) -> int:
    if not cursor:
        return 0
    return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1]) + 1


def _page(items: Sequence[Any], first: int, after: str | None) -> tuple[list[Any], dict[str, Any]]:
    start = _after(after)
    chosen = list(items[start : start + first])
    end = start + len(chosen) - 1
    return chosen, {"hasNextPage": start + first < len(items), "endCursor": _cursor(end) if chosen else None}


class GitHubOrgs:
    """Organisations by login (lower-case); a GraphQL endpoint over them."""

    def __init__(self) -> None:
        self.organisations: dict[str, Organisation] = {}
        self.queries: list[str] = []

    def add(self, organisation: Organisation) -> None:
        self.organisations[organisation.login.lower()] = organisation

    async def graphql(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        document, variables = str(body.get("query", "")), dict(body.get("variables") or {})
        found = re.search(r"\b(query|mutation)\s+(\w+)", document)
        if found is None or found.group(1) != "query":
            return error(400, {"message": "Only named queries are answered here", "errors": []})
        operation = found.group(2)
        self.queries.append(operation)
        organisation = self.organisations.get(str(variables.get("org", "")).lower())
        if organisation is None:
            return JSONResponse(
                {
                    "data": {"organization": None},
                    "errors": [
                        {
                            "type": "NOT_FOUND",
                            "path": ["organization"],
                            "message": "Could not resolve to an Organization with the login of "
                            f"'{variables.get('org')}'.",
                        }
                    ],
                }
            )
        first = min(int(variables.get("first", 100)), 100)
        if operation == "OrgMembers":
            return JSONResponse(
                {"data": {"organization": {"membersWithRole": self._members(organisation, first, variables)}}}
            )
        if operation == "OrgTeams":
            return JSONResponse({"data": {"organization": {"teams": self._teams(organisation, first, variables)}}})
        if operation == "TeamMembers":
            team = next((t for t in organisation.teams if t.slug == variables.get("team")), None)
            members = _team_members(team, first, variables.get("cursor")) if team else None
            return JSONResponse({"data": {"organization": {"team": {"members": members} if team else None}}})
        return error(400, {"message": f"Unknown query {operation}", "errors": []})

    def _members(self, organisation: Organisation, first: int, variables: dict[str, Any]) -> dict[str, Any]:
        chosen, info = _page(organisation.members, first, variables.get("cursor"))
        nodes = [
            {
                "login": member.login,
                "name": member.name,
                "email": member.email or "",
                "bio": member.bio,
                "avatarUrl": f"https://avatars.githubusercontent.com/{member.login}",
                "organizationVerifiedDomainEmails": [member.email] if member.email else [],
            }
            for member in chosen
        ]
        return {"pageInfo": info, "nodes": nodes}

    def _teams(self, organisation: Organisation, first: int, variables: dict[str, Any]) -> dict[str, Any]:
        chosen, info = _page(organisation.teams, first, variables.get("cursor"))
        nodes = [
            {
                "slug": team.slug,
                "combinedSlug": f"{organisation.login}/{team.slug}",
                "name": team.name,
                "description": team.description,
                "avatarUrl": None,
                "editTeamUrl": f"https://github.com/orgs/{organisation.login}/teams/{team.slug}/edit",
                "parentTeam": {"slug": team.parent} if team.parent else None,
                "members": _team_members(team, min(first, 100), None),
            }
            for team in chosen
        ]
        return {"pageInfo": info, "nodes": nodes}


def _team_members(team: OrgTeam, first: int, cursor: str | None) -> dict[str, Any]:
    chosen, info = _page(list(team.members), first, cursor)
    return {"pageInfo": info, "nodes": [{"login": login} for login in chosen]}
