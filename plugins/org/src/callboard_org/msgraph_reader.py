"""Users and Groups from Microsoft Entra ID through Microsoft Graph, as Backstage's ``microsoftGraphOrg``
provider makes them: people named after their email (``jane.doe_example.com``), groups after their mail
nickname, group members that are groups as child groups. The app signs in with client credentials; every list is
read to its last ``@odata.nextLink``."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from callboard.sdk import UpstreamError, check_response
from callboard_org.model import Org
from callboard_org.settings import GraphQuery, MicrosoftGraphProvider

USER_ID = "graph.microsoft.com/user-id"
GROUP_ID = "graph.microsoft.com/group-id"
USER_FIELDS = ["id", "displayName", "description", "mail", "userPrincipalName", "jobTitle"]
GROUP_FIELDS = ["id", "displayName", "description", "mail", "mailNickname"]


def normalize_name(name: str) -> str:
    """Backstage's ``normalizeEntityName``: lower case, anything but letters, digits, ``_-.`` made ``_``."""
    cleaned = re.sub(r"[^a-zA-Z0-9_\-.]", "_", name.strip().lower()).rstrip("_")
    while "__" in cleaned:
        cleaned = cleaned.replace("__", "_")
    return cleaned


def access_token(http: httpx.Client, provider: MicrosoftGraphProvider) -> str:
    response = http.post(
        f"{provider.authority.rstrip('/')}/{provider.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    if response.status_code in (400, 401):
        detail = response.json().get("error_description", "") if response.content else ""
        raise UpstreamError(
            f"Microsoft Entra ID refused the app's credentials ({detail.split(':')[0] or response.status_code}): "
            "check tenantId, clientId and clientSecret (catalog.providers.microsoftGraphOrg.<id>)"
        )
    token: str = check_response(response, "Microsoft Entra ID").json()["access_token"]
    return token


def _list(http: httpx.Client, url: str, query: GraphQuery | None, fields: list[str]) -> Iterator[dict[str, Any]]:
    params: dict[str, str] = {
        "$top": "999",
        "$select": ",".join(dict.fromkeys([*fields, *(query.select if query else [])])),
    }
    if query and query.filter:
        params["$filter"] = query.filter
    next_url: str | None = url
    while next_url:
        response = check_response(http.get(next_url, params=params if next_url == url else None), "Microsoft Graph")
        body = response.json()
        yield from body.get("value") or []
        next_url = body.get("@odata.nextLink")


def read_tenant(http: httpx.Client, provider: MicrosoftGraphProvider) -> Org:
    base = provider.target.rstrip("/")
    org = Org()
    groups = {group["id"]: group for group in _list(http, f"{base}/groups", provider.group, GROUP_FIELDS)}
    if provider.user_group_member is not None:
        users: dict[str, dict[str, Any]] = {}
        for chosen in _list(http, f"{base}/groups", provider.user_group_member, ["id"]):
            for member in _list(http, f"{base}/groups/{chosen['id']}/transitiveMembers", None, USER_FIELDS):
                if member.get("@odata.type") == "#microsoft.graph.user":
                    users[member["id"]] = member
    else:
        users = {user["id"]: user for user in _list(http, f"{base}/users", provider.user, USER_FIELDS)}
    member_of: dict[str, set[str]] = defaultdict(set)
    parents: dict[str, set[str]] = defaultdict(set)
    for group_id in groups:
        for member in _list(http, f"{base}/groups/{group_id}/members", None, ["id"]):
            if member["id"] in users:
                member_of[member["id"]].add(group_id)
            elif member["id"] in groups:
                parents[member["id"]].add(group_id)
    names = {
        group_id: normalize_name(g.get("mailNickname") or g.get("displayName") or group_id)
        for group_id, g in groups.items()
    }
    for group_id, group in groups.items():
        org.groups.append(_group(group, names[group_id], [names[p] for p in parents.get(group_id, ())], names, parents))
    for user_id, user in users.items():
        entity = _user(user)
        if isinstance(entity, str):
            org.skipped.append(entity)
            continue
        entity["spec"]["memberOf"] = sorted(f"group:default/{names[g]}" for g in member_of.get(user_id, ()))
        org.users.append(entity)
    org.users.sort(key=lambda e: str(e["metadata"]["name"]))
    org.groups.sort(key=lambda e: str(e["metadata"]["name"]))
    return org


def _user(user: Mapping[str, Any]) -> dict[str, Any] | str:
    source = user.get("mail") or user.get("userPrincipalName")
    if not source:
        return f"user {user.get('id')}: neither mail nor userPrincipalName to name them by"
    profile = {
        key: value for key, value in (("displayName", user.get("displayName")), ("email", user.get("mail"))) if value
    }
    metadata: dict[str, Any] = {"name": normalize_name(str(source)), "annotations": {USER_ID: user["id"]}}
    if user.get("jobTitle"):
        metadata["description"] = user["jobTitle"]
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": metadata,
        "spec": {"profile": profile, "memberOf": []},
    }


def _group(
    group: Mapping[str, Any],
    name: str,
    parent_names: list[str],
    names: Mapping[str, str],
    parents: Mapping[str, set[str]],
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "annotations": {GROUP_ID: group["id"]}}
    if group.get("description"):
        metadata["description"] = group["description"]
    profile = {
        key: value for key, value in (("displayName", group.get("displayName")), ("email", group.get("mail"))) if value
    }
    children = sorted(f"group:default/{names[child]}" for child, ups in parents.items() if group["id"] in ups)
    spec: dict[str, Any] = {"type": "team", "profile": profile, "children": children}
    if len(parent_names) == 1:
        spec["parent"] = f"group:default/{parent_names[0]}"
    return {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": metadata, "spec": spec}
