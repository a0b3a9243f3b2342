"""The Issues tab and card against a local Jira speaking REST v3 (Cloud) and v2 (Data Center): open issues by
type and status, recent activity, annotations that cannot widen the query, and the token kept on the server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from callboard.sdk.testing import Portal, VendorStandIns
from tests.conftest import API_TOKEN, PAT

PAGE = "/catalog/default/component/booking-service"


def _issues(client: httpx.Client, name: str = "booking-service") -> dict[str, Any]:
    response = client.get("/api/jira/issues", params={"entity": f"component:default/{name}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _open(vendors: VendorStandIns, component: str | None = None) -> list[Any]:
    return [
        issue
        for issue in vendors.jira.projects["BOOK"].issues
        if issue.status != "Done" and (component is None or component in issue.components)
    ]


def test_the_tab_counts_open_issues_by_type_and_status_and_lists_recent_activity(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    assert 'hx-get="/catalog/default/component/booking-service/tabs/jira"' in client.get(f"{PAGE}/jira").text
    tab = client.get(f"{PAGE}/tabs/jira")
    assert tab.status_code == 200, tab.text
    expected = _open(vendors)
    body = _issues(client)
    assert body["openTotal"] == len(expected) and len(body["open"]) == len(expected)
    assert sum(body["byType"].values()) == len(expected)
    assert {s["category"] for s in body["byStatus"]} <= {"new", "indeterminate"}
    assert body["project"] == {"key": "BOOK", "name": "Booking", "url": f"{vendors.url}/jira/browse/BOOK"}
    assert f'<span class="badge">{len(expected)}</span>' in tab.text
    assert "Booking</strong> (BOOK)" in tab.text and 'class="jira-bar"' in tab.text
    assert body["recent"] and "Recent activity" in tab.text
    card = client.get(f"{PAGE}/cards/jira")
    assert f"<strong>{len(expected)}</strong> open in" in card.text


def test_component_annotations_narrow_and_cannot_widen_the_query(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    narrowed = _issues(client, "booking-api")
    assert narrowed["openTotal"] == len(_open(vendors, "booking-api")) < len(_open(vendors))
    sneaky = _issues(client, "sneaky")
    assert sneaky["openTotal"] == 0 and sneaky["problem"] is None  # the quote is part of a value, not JQL
    bad = client.get("/api/jira/issues", params={"entity": "component:default/bad-key"})
    assert bad.status_code == 404 and "is not a Jira project key" in bad.json()["error"]["message"]
    assert "is not a Jira project key" in client.get("/catalog/default/component/bad-key/tabs/jira").text
    assert not any("myself" in call for call in vendors.jira.calls)


@pytest.mark.jira(email=None, apiToken=None, token=PAT)
def test_jira_data_center_with_a_personal_access_token(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    body = _issues(client)
    assert body["openTotal"] == len(_open(vendors)) and body["problem"] is None
    assert any("/rest/api/2/search" in call for call in vendors.jira.calls)
    assert not any("/rest/api/3/" in call for call in vendors.jira.calls)


@pytest.mark.jira(maxIssues=50)
@pytest.mark.parametrize("portal", ["sqlite"], indirect=True)
def test_more_open_issues_than_counted_says_at_least(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    vendors.jira.add_project("BOOK", "Booking", ("booking-api",), count=150)
    portal.process_catalog()
    body = _issues(client)
    assert len(body["open"]) == 50 and body["openTotal"] is None
    assert "at least 50" in client.get(f"{PAGE}/tabs/jira").text


def test_views_share_calls_and_a_limited_jira_leaves_stale_since(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    for _ in range(4):
        client.get(f"{PAGE}/tabs/jira")
        client.get(f"{PAGE}/cards/jira")
    assert sum(vendors.jira.calls.values()) == 3  # project, open issues, recent activity: once for 8 views
    portal.clock.advance(121)
    vendors.jira.limited_until = vendors.jira.clock() + 300
    body = _issues(client)
    assert body["staleSince"] == portal.clock.now and "Jira is limiting our calls (HTTP 429)" in body["problem"]
    assert body["open"]
    assert "Stale since" in client.get(f"{PAGE}/tabs/jira").text


def test_no_annotation_and_a_refused_credential(portal: Portal, client: httpx.Client, vendors: VendorStandIns) -> None:
    portal.process_catalog()
    assert "jira/project-key: BOOK" in client.get("/catalog/default/component/no-jira/tabs/jira").text
    assert "✓ Jira accepts the portal&#39;s credential" in client.get("/admin/plugins/jira/health").text
    vendors.jira.credentials = {"Bearer something-else"}
    health = client.get("/admin/plugins/jira/health").text
    assert "Jira refused the portal&#39;s credential (HTTP 401)" in health and "apiToken" in health
    tab = client.get(f"{PAGE}/tabs/jira").text
    assert "Jira could not be read" in tab
    for text in (health, tab, client.get(PAGE).text, client.get("/admin/plugins").text):
        assert API_TOKEN not in text and PAT not in text
