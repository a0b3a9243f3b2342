"""Microsoft Entra ID as Microsoft Graph shows it to an app with ``User.Read.All`` and ``GroupMember.Read.All``:
the client-credentials token endpoint, ``/v1.0/users``, ``/v1.0/groups``, a group's ``members`` and
``transitiveMembers``, paged with ``@odata.nextLink`` and narrowed with ``$select``, ``$filter`` (the equality
and ``and`` forms of OData's) and ``$top``, with the shapes of learn.microsoft.com's examples.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callboard.standins.base import Vendor

USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"


@dataclass
class GraphUser:
    id: str
    display_name: str
    user_principal_name: str
    mail: str | None = None
    job_title: str | None = None
    account_enabled: bool = True

    def json(self) -> dict[str, Any]:
        return {
            "@odata.type": USER_TYPE,
            "id": self.id,
            "displayName": self.display_name,
            "userPrincipalName": self.user_principal_name,
            "mail": self.mail,
            "jobTitle": self.job_title,
            "accountEnabled": self.account_enabled,
        }


@dataclass
class GraphGroup:
    id: str
    display_name: str
    mail_nickname: str
    description: str | None = None
    mail: str | None = None
    #: Ids of users and groups directly in the group.
    members: list[str] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {
            "@odata.type": GROUP_TYPE,
            "id": self.id,
            "displayName": self.display_name,
            "mailNickname": self.mail_nickname,
            "description": self.description,
            "mail": self.mail,
            "securityEnabled": True,
        }


class MicrosoftGraph(Vendor):
    name = "msgraph"

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, GraphUser] = {}
        self.groups: dict[str, GraphGroup] = {}
        #: The app registration allowed to get tokens: client id → secret.
        self.apps: dict[str, str] = {}
        self.tenant = "00000000-0000-0000-0000-000000000001"
        #: The most items one page holds, whatever $top asks (Graph's own limit is 999); tests lower it.
        self.page_size = 999
        self._tokens: set[str] = set()

    def credential(self, request: Request) -> str:
        return request.headers.get("authorization", "").removeprefix("Bearer ")

    def unauthorised(self) -> Response:
        return JSONResponse(
            {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty or invalid."}},
            status_code=401,
        )

    def app(self) -> Starlette:
        guarded = self.guarded
        return Starlette(
            routes=[
                Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"]),
                Route("/v1.0/users", guarded(self.list_users), methods=["GET"]),
                Route("/v1.0/groups", guarded(self.list_groups), methods=["GET"]),
                Route("/v1.0/groups/{group}/members", guarded(self.members), methods=["GET"]),
                Route("/v1.0/groups/{group}/transitiveMembers", guarded(self.members), methods=["GET"]),
            ]
        )

    async def token(self, request: Request) -> Response:
        form = await request.form()
        client, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        if request.path_params["tenant"] != self.tenant or self.apps.get(client) != secret or not secret:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
                status_code=401,
            )
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("scope") != "https://graph.microsoft.com/.default"
        ):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        token = secrets.token_urlsafe(24)
        self._tokens.add(token)
        self.credentials = self._tokens  # only tokens this endpoint issued are accepted
        return JSONResponse({"token_type": "Bearer", "expires_in": 3599, "access_token": token, "ext_expires_in": 3599})

    async def list_users(self, request: Request) -> Response:
        return self._page(request, [user.json() for user in self.users.values()])

    async def list_groups(self, request: Request) -> Response:
        return self._page(request, [group.json() for group in self.groups.values()])

    async def members(self, request: Request) -> Response:
        group = self.groups.get(request.path_params["group"])
        if group is None:
            return JSONResponse({"error": {"code": "Request_ResourceNotFound", "message": "Not found"}}, 404)
        ids = self._transitive(group) if request.url.path.endswith("transitiveMembers") else list(group.members)
        found = [self.users[i].json() if i in self.users else self.groups[i].json() for i in ids]
        return self._page(request, found)

    def _transitive(self, group: GraphGroup, seen: set[str] | None = None) -> list[str]:
        seen = seen if seen is not None else set()
        for member in group.members:
            if member not in seen:
                seen.add(member)
                if member in self.groups:
                    self._transitive(self.groups[member], seen)
        return sorted(seen)

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        query = request.query_params
        items = [item for item in items if _matches(item, query.get("$filter", ""))]
        top = min(int(query.get("$top", "100")), self.page_size)
        skip = int(query.get("$skiptoken", "0"))
        page = items[skip : skip + top]
        selected = [s.strip() for s in query.get("$select", "").split(",") if s.strip()]
        if selected:
            page = [{k: v for k, v in item.items() if k in selected or k == "@odata.type"} for item in page]
        body: dict[str, Any] = {
            "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#{request.url.path.rsplit('/', 1)[-1]}",
            "value": page,
        }
        if skip + top < len(items):
            following = {key: value for key, value in query.items() if key != "$skiptoken"}
            body["@odata.nextLink"] = (
                f"{request.url.replace(query='')}?{urlencode({**following, '$skiptoken': skip + top})}"
            )
        return JSONResponse(body)


def _matches(item: dict[str, Any], expression: str) -> bool:
    """OData's ``field eq value`` clauses joined by ``and`` (strings quoted, true/false bare)."""
    for clause in filter(None, (part.strip() for part in re.split(r"\s+and\s+", expression))):
        found = re.fullmatch(r"(\w+)\s+eq\s+('(?:[^']|'')*'|true|false)", clause)
        if found is None:
            return False
        field_name, raw = found.groups()
        wanted: Any = {"true": True, "false": False}.get(raw, raw[1:-1].replace("''", "'"))
        if item.get(field_name) != wanted:
            return False
    return True
