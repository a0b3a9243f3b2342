"""The On call tab, the cards and Trigger incident against a local PagerDuty speaking REST API v2 and the Events
API v2: who is on call now and next, what is open, one safe button, and the read-only key kept on the server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from callboard.sdk.testing import Portal, VendorStandIns
from tests.conftest import BOOKING_KEY, CARRIERS_KEY, TOKEN

PAGE = "/catalog/default/component/booking-service"
ENTITY = "component:default/booking-service"


def _service(client: httpx.Client, entity: str = ENTITY) -> dict[str, Any]:
    response = client.get("/api/pagerduty/services", params={"entity": entity})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _trigger(client: httpx.Client, entity: str = ENTITY, **body: Any) -> httpx.Response:
    return client.post("/api/pagerduty/incidents", params={"entity": entity}, json=body)


def test_the_tab_shows_who_is_on_call_now_and_next_open_incidents_and_changes(
    portal: Portal, client: httpx.Client
) -> None:
    portal.process_catalog()
    assert 'hx-get="/catalog/default/component/booking-service/tabs/pagerduty"' in client.get(f"{PAGE}/pagerduty").text
    tab = client.get(f"{PAGE}/tabs/pagerduty")
    assert tab.status_code == 200, tab.text
    body = _service(client)
    level_one, level_two = body["onCall"]
    people = {"Amara Okafor", "Lena Fischer"}
    assert {level_one["now"]["person"], level_one["next"]["person"]} == people
    assert level_two["now"]["person"] == "Tom Becker"
    for name in ("Amara Okafor", "Lena Fischer", "Tom Becker", "Booking escalation"):
        assert name in tab.text
    assert "Quotes time out for DHL" in tab.text and "outcome-high" in tab.text and "acknowledged" in tab.text
    assert "Deployed booking-service 2.14.0" in tab.text
    assert ">Trigger incident</summary>" in tab.text
    assert [incident["urgency"] for incident in body["incidents"]] == ["low", "high"]  # newest first


def test_a_service_is_found_by_its_integration_key_alone(portal: Portal, client: httpx.Client) -> None:
    portal.process_catalog()
    body = _service(client, "component:default/tracking-service")
    assert body["service"]["id"] == "PTRACK1" and body["problem"] is None


def test_trigger_incident_pages_with_the_integration_key_and_is_audited(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    assert len(_service(client)["incidents"]) == 2  # cached before: the trigger must drop it
    done = client.post(
        "/api/pagerduty/incidents",
        params={"entity": ENTITY},
        json={"summary": "Bookings fail with 502", "urgency": "high"},
    )
    assert done.status_code == 202, done.text
    assert done.json()["status"] == "triggered" and done.json()["dedupKey"]
    (sent,) = vendors.pagerduty.events
    assert sent["routing_key"] == BOOKING_KEY and sent["event_action"] == "trigger"
    assert sent["payload"]["severity"] == "critical" and sent["payload"]["source"] == f"Callboard: {ENTITY}"
    assert sent["payload"]["custom_details"]["triggered by"] == "user:default/tester"
    titles = [incident["title"] for incident in _service(client)["incidents"]]
    assert "Bookings fail with 502" in titles
    (entry,) = portal.audit_entries(actions=["pagerduty.incident.create"])
    assert entry["actor"] == "user:default/tester" and entry["target"] == ENTITY
    assert entry["details"]["outcome"] == "ok" and entry["details"]["summary"] == "Bookings fail with 502"
    assert portal.audit_entries(actions=["pagerduty.http.post"])
    for found in portal.audit_entries():
        assert BOOKING_KEY not in str(found) and TOKEN not in str(found)


def test_trigger_is_refused_without_the_permission_for_an_unreadable_entity_and_for_bad_input(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    tab = client.get("/catalog/default/component/theirs/tabs/pagerduty")
    assert "Their service" in tab.text and "Trigger incident" not in tab.text
    refused = client.post(
        "/api/pagerduty/incidents", params={"entity": "component:default/theirs"}, json={"summary": "x"}
    )
    assert refused.status_code == 403
    assert "pagerduty.incident.create is not granted" in refused.json()["error"]["message"]
    hidden = client.post(
        "/api/pagerduty/incidents", params={"entity": "component:default/hidden"}, json={"summary": "x"}
    )
    assert hidden.status_code == 404
    empty = client.post("/api/pagerduty/incidents", params={"entity": ENTITY}, json={"summary": "   "})
    assert empty.status_code == 400 and "summary" in empty.json()["error"]["message"]
    long = client.post("/api/pagerduty/incidents", params={"entity": ENTITY}, json={"summary": "x" * 1025})
    assert long.status_code == 400 and "at most 1024" in long.json()["error"]["message"]
    assert vendors.pagerduty.events == []
    assert [e["details"]["outcome"] for e in portal.audit_entries(actions=["pagerduty.incident.create"])] == ["denied"]


def test_the_group_page_lists_the_teams_services_and_who_is_on_call(portal: Portal, client: httpx.Client) -> None:
    portal.process_catalog()
    card = client.get("/catalog/default/group/testers/cards/pagerduty-team")
    assert card.status_code == 200, card.text
    assert "booking-service" in card.text and "tracking-service" in card.text
    assert "theirs" not in card.text and "no-pagerduty" not in card.text
    assert card.text.count('class="badge danger">2<') == 1


def test_views_share_calls_a_limited_pagerduty_leaves_stale_since(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    for _ in range(4):
        client.get(f"{PAGE}/tabs/pagerduty")
        client.get(f"{PAGE}/cards/pagerduty")
    calls = sum(vendors.pagerduty.calls.values())
    assert calls == 4  # service, on-calls, incidents, change events: once for 8 views
    portal.clock.advance(61)
    vendors.pagerduty.limited_until = vendors.pagerduty.clock() + 300
    body = _service(client)
    assert body["staleSince"] == portal.clock.now and "PagerDuty is limiting our calls (HTTP 429)" in body["problem"]
    assert body["onCall"]  # the last answer is still shown
    assert "Stale since" in client.get(f"{PAGE}/tabs/pagerduty").text


def test_no_annotation_missing_token_and_a_refused_key(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    missing = client.get("/catalog/default/component/no-pagerduty/tabs/pagerduty")
    assert "pagerduty.com/service-id: PBOOK01" in missing.text
    assert "✓ PagerDuty accepts the REST API key" in client.get("/admin/plugins/pagerduty/health").text
    vendors.pagerduty.credentials = {"another-key"}
    health = client.get("/admin/plugins/pagerduty/health").text
    assert "PagerDuty refused the portal&#39;s credential (HTTP 401): Unauthorized" in health
    tab = client.get(f"{PAGE}/tabs/pagerduty").text
    assert "PagerDuty could not be read" in tab and "Installed plugins page" in tab
    for text in (health, tab, client.get(PAGE).text, client.get("/admin/plugins").text):
        assert TOKEN not in text


@pytest.mark.parametrize("portal", ["sqlite"], indirect=True)
def test_the_trigger_form_posts_from_the_page(portal: Portal, client: httpx.Client, vendors: VendorStandIns) -> None:
    portal.process_catalog()
    answer = client.post(
        "/api/pagerduty/incidents",
        params={"entity": ENTITY},
        data={"summary": "Tracking page blank", "urgency": "low"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 202 and "Incident triggered" in answer.text
    assert vendors.pagerduty.events[0]["payload"]["severity"] == "warning"


@pytest.mark.parametrize("portal", ["sqlite"], indirect=True)
def test_a_key_kept_on_the_server_pages_a_service_named_by_id_alone(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    page = "/catalog/default/component/carriers-service"
    tab = client.get(f"{page}/tabs/pagerduty")
    assert ">Trigger incident</summary>" in tab.text
    done = client.post(
        "/api/pagerduty/incidents",
        params={"entity": "component:default/carriers-service"},
        json={"summary": "Rates stale"},
    )
    assert done.status_code == 202, done.text
    assert vendors.pagerduty.events[0]["routing_key"] == CARRIERS_KEY
    for text in (tab.text, client.get(page).text, done.text, str(portal.audit_entries())):
        assert CARRIERS_KEY not in text
