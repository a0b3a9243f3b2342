"""Users and Groups from a real OpenLDAP (Debian's slapd, started by the tests), read with Backstage's
``catalog.providers.ldapOrg`` keys: paging past the directory's size limit, nested groups, people who leave."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from ldap3 import Connection, Server

from callboard.sdk.testing import Portal
from callboard_org.testing import READER, READER_SECRET, SIZE_LIMIT, SUFFIX, Slapd
from tests.conftest import PEOPLE

TASK = "org.provider.ldap-corp"


def _entities(client: httpx.Client, kind: str) -> dict[str, dict[str, Any]]:
    response = client.get("/api/catalog/entities", params={"filter": f"kind={kind}"})
    assert response.status_code == 200
    return {entity["metadata"]["name"]: entity for entity in response.json()}


def test_the_directory_limits_searches_that_do_not_page(slapd: Slapd) -> None:
    # What makes the next test mean something: a reader that does not page gets a partial list, or an error.
    plain = Connection(Server(slapd.url), READER, READER_SECRET, auto_bind=True)
    try:
        plain.search(f"ou=people,{SUFFIX}", "(objectClass=inetOrgPerson)", attributes=["uid"])
        assert plain.result["description"] == "sizeLimitExceeded"
        assert len(plain.entries) == SIZE_LIMIT < len(PEOPLE)
    finally:
        plain.unbind()


def test_people_and_teams_arrive_with_their_memberships_and_hierarchy(portal: Portal, client: httpx.Client) -> None:
    assert portal.run_task(TASK) == "succeeded"
    portal.process_catalog()
    users, groups = _entities(client, "user"), _entities(client, "group")
    assert len(users) == len(PEOPLE) + 2  # all of them, past the size limit: every search pages
    jane = users["jdoe"]
    assert jane["spec"]["profile"] == {"displayName": "Jane Doe", "email": "jane.doe@northwind.example"}
    assert jane["spec"]["memberOf"] == ["group:default/engineering", "group:default/payments"]
    annotations = jane["metadata"]["annotations"]
    assert annotations["backstage.io/ldap-dn"] == f"uid=jdoe,ou=people,{SUFFIX}"
    assert annotations["backstage.io/ldap-rdn"] == "jdoe"
    assert len(annotations["backstage.io/ldap-uuid"]) == 36  # OpenLDAP's entryUUID
    assert (
        annotations["backstage.io/managed-by-origin-location"]
        == "ldap://corp/uid%3Djdoe%2Cou%3Dpeople%2Cdc%3Dnorthwind%2Cdc%3Dexample"
    )
    assert set(groups) == {"engineering", "payments", "shipping"}
    assert groups["payments"]["spec"]["parent"] == "group:default/engineering"
    assert groups["engineering"]["spec"]["children"] == ["group:default/payments", "group:default/shipping"]
    assert groups["payments"]["metadata"]["description"] == "Takes the money"
    # The catalog's own relations follow: the department has its teams as children and its people as members.
    relations = {(r["type"], r["targetRef"]) for r in groups["engineering"]["relations"]}
    assert ("parentOf", "group:default/payments") in relations and ("hasMember", "user:default/jdoe") in relations
    assert ("memberOf", "group:default/shipping") in {(r["type"], r["targetRef"]) for r in users["rroe"]["relations"]}


def test_someone_who_leaves_the_directory_leaves_the_catalog(
    portal: Portal, client: httpx.Client, slapd: Slapd
) -> None:
    with slapd.admin() as admin:
        admin.add(
            f"uid=temp,ou=people,{SUFFIX}",
            ["top", "inetOrgPerson"],
            {"uid": "temp", "cn": "Temp Worker", "sn": "Worker", "mail": "temp@northwind.example"},
        )
    try:
        assert portal.run_task(TASK) == "succeeded"
        portal.process_catalog()
        assert "temp" in _entities(client, "user")
    finally:
        with slapd.admin() as admin:
            admin.delete(f"uid=temp,ou=people,{SUFFIX}")
    assert portal.run_task(TASK) == "succeeded"
    portal.process_catalog()
    assert "temp" not in _entities(client, "user")


def test_a_refused_bind_names_the_setting_to_fix(slapd: Slapd, ldap_settings: dict[str, Any]) -> None:
    from callboard.sdk import UpstreamError
    from callboard_org.ldap_reader import read
    from callboard_org.settings import LdapProvider

    wrong = LdapProvider.model_validate({**ldap_settings, "bind": {"dn": READER, "secret": "not-the-secret"}})
    fix = r"refused the bind DN and secret \(catalog\.providers\.ldapOrg\.<id>\.bind\)"
    with pytest.raises(UpstreamError, match=fix):
        read(wrong)


@pytest.mark.parametrize("ldap_settings", [{"target": "ldap://127.0.0.1:9"}], indirect=True)
def test_an_unreachable_directory_fails_the_run_with_its_address(portal: Portal, client: httpx.Client) -> None:
    ended = portal.run_task(TASK)
    assert ended.startswith("failed") and "LDAP ldap://127.0.0.1:9" in ended, ended
    portal.process_catalog()
    assert _entities(client, "user") == {}


def test_schedules_and_targets_are_read_as_backstage_writes_them(ldap_settings: dict[str, Any]) -> None:
    from pydantic import ValidationError

    from callboard_org.settings import Settings

    settings = Settings.model_validate({"ldapOrg": {"corp": ldap_settings}})
    corp = settings.ldap_org["corp"]
    assert (corp.schedule.frequency_seconds, corp.schedule.timeout_seconds) == (3600, 300)
    assert corp.users[0].map.name == "uid" and corp.groups[0].map.members == "member"  # Backstage's defaults
    with pytest.raises(ValidationError, match="ldap://host:port"):
        Settings.model_validate({"ldapOrg": {"corp": {**ldap_settings, "target": "https://ds.example"}}})
    with pytest.raises(ValidationError, match="ISO 8601"):
        Settings.model_validate({"ldapOrg": {"corp": {**ldap_settings, "schedule": {"frequency": "hourly"}}}})
