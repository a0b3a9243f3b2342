"""Users and Groups from Microsoft Entra ID with Backstage's ``catalog.providers.microsoftGraphOrg`` keys, read
from the Microsoft Graph stand-in: client-credentials sign-in, ``@odata.nextLink`` paging, nested groups, and the
people of chosen groups only (``userGroupMember``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.sdk.testing import GraphGroup, GraphUser, Portal, VendorStandIns

TASK = "org.provider.msgraph-corp"
CLIENT, SECRET = "11111111-2222-3333-4444-555555555555", "graph-client-secret-0042"
PEOPLE = [
    GraphUser(f"u-{n:02}", f"Person {n:02}", f"person{n:02}@northwind.example", f"person{n:02}@northwind.example")
    for n in range(25)
]


@pytest.fixture
def callboard_config(vendors: VendorStandIns, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    graph = vendors.msgraph
    graph.apps = {CLIENT: SECRET}
    graph.page_size = 10  # 25 people: three pages, followed by their nextLink
    graph.users = {person.id: person for person in PEOPLE}
    graph.users["u-ext"] = GraphUser("u-ext", "Guest Writer", "guest_writer#EXT#@northwind.onmicrosoft.com")
    graph.groups = {
        "g-eng": GraphGroup("g-eng", "Engineering", "engineering", "All of engineering", members=["g-pay", "u-00"]),
        "g-pay": GraphGroup("g-pay", "Payments Team", "payments", None, "payments@northwind.example", ["u-01", "u-02"]),
        "g-all": GraphGroup("g-all", "Backstage Users", "backstage-users", members=["g-pay"]),
    }
    settings: dict[str, Any] = {
        "target": f"{vendors.url}/msgraph/v1.0",
        "authority": f"{vendors.url}/msgraph",
        "tenantId": graph.tenant,
        "clientId": CLIENT,
        "clientSecret": SECRET,
        **getattr(request, "param", {}),
    }
    return {"catalog": {"providers": {"microsoftGraphOrg": {"corp": settings}}}}


def _entities(client: httpx.Client, kind: str) -> dict[str, dict[str, Any]]:
    return {
        e["metadata"]["name"]: e for e in client.get("/api/catalog/entities", params={"filter": f"kind={kind}"}).json()
    }


def test_tenant_users_and_groups_arrive_with_their_hierarchy(portal: Portal, client: httpx.Client) -> None:
    assert portal.run_task(TASK) == "succeeded"
    portal.process_catalog()
    users, groups = _entities(client, "user"), _entities(client, "group")
    assert len(users) == 26  # every page
    person = users["person01_northwind.example"]  # named after the email, as Backstage names them
    assert person["spec"]["profile"] == {"displayName": "Person 01", "email": "person01@northwind.example"}
    assert person["metadata"]["annotations"]["graph.microsoft.com/user-id"] == "u-01"
    assert person["spec"]["memberOf"] == ["group:default/payments"]
    assert "guest_writer_ext_northwind.onmicrosoft.com" in users  # no mail: the principal name, normalised
    assert set(groups) == {"engineering", "payments", "backstage-users"}
    assert groups["payments"]["spec"]["children"] == []
    assert groups["engineering"]["spec"]["children"] == ["group:default/payments"]
    assert "parent" not in groups["payments"]["spec"]  # two parents (engineering, backstage-users): none chosen
    assert groups["payments"]["spec"]["profile"]["email"] == "payments@northwind.example"


@pytest.mark.parametrize(
    "callboard_config", [{"userGroupMember": {"filter": "displayName eq 'Backstage Users'"}}], indirect=True
)
def test_only_the_people_of_the_chosen_groups_transitively(portal: Portal, client: httpx.Client) -> None:
    assert portal.run_task(TASK) == "succeeded"
    portal.process_catalog()
    assert set(_entities(client, "user")) == {"person01_northwind.example", "person02_northwind.example"}


@pytest.mark.parametrize("callboard_config", [{"clientSecret": "not-the-secret"}], indirect=True)
def test_a_refused_app_credential_names_the_settings(portal: Portal) -> None:
    ended = portal.run_task(TASK)
    assert ended.startswith("failed") and "check tenantId, clientId and clientSecret" in ended, ended
    assert "AADSTS7000215" in ended
