"""An event about an entity the caller may not read is invisible everywhere: lists, one event, the stream,
"what changed before this?"; reading needs change-events.read and recording change-events.create."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.sdk import Identity
from callboard.sdk.testing import SERVICE_TOKEN, Portal
from tests.conftest import callboard_config as base_config
from tests.support import iso

PAYMENTS_API = "component:default/payments-api"  # owned by group:default/payments
PAYMENTS_WEB = "component:default/payments-web"  # owned by group:default/payments-web-team


@pytest.fixture
def callboard_config(catalog_file: Path) -> dict[str, Any]:
    config = base_config.__wrapped__(catalog_file)  # type: ignore[attr-defined]
    config["permission"] = {
        "enabled": True,
        "rules": [
            {"permission": "catalog.entity.read", "principals": ["service:*"]},
            {"permission": "catalog.entity.read", "principals": ["*"], "conditions": {"isEntityOwner": True}},
            {"permission": "change-events.create", "principals": ["service:tests"]},
            {"permission": "change-events.create", "decision": "deny"},
            {"permission": "change-events.read", "principals": ["user:default/outsider"], "decision": "deny"},
        ],
    }
    return config


@pytest.fixture
def identity() -> Identity:
    return Identity("user", "user:default/webby", ("user:default/webby", "group:default/payments-web-team"), "Webby")


@pytest.fixture(autouse=True)
def catalog(portal: Portal) -> None:
    portal.process_catalog()


def record(portal: Portal, entity: str, title: str, change_type: str = "deployment") -> str:
    body = {"type": change_type, "id": title, "title": title, "entityRefs": [entity], "time": iso(portal.clock() - 60)}
    response = httpx.post(
        f"{portal.url}/api/change-events", json=body, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_events_about_entities_the_caller_cannot_read_are_invisible(portal: Portal, client: httpx.Client) -> None:
    hidden = record(portal, PAYMENTS_API, "api deploy")
    record(portal, PAYMENTS_WEB, "web deploy")
    listed = client.get("/api/change-events/events").json()["items"]
    assert [item["title"] for item in listed] == ["web deploy"]
    assert client.get("/api/change-events/events", params={"entity": PAYMENTS_API}).json()["items"] == []
    assert client.get(f"/api/change-events/events/{hidden}").status_code == 404
    assert client.get(f"/change-events/events/{hidden}").status_code == 404
    assert "api deploy" not in client.get("/change-events/").text
    answer = client.get("/api/change-events/correlate", params={"entity": PAYMENTS_WEB}).json()
    assert [item["title"] for item in answer["items"]] == ["web deploy"]  # its dependency's deploy stays hidden
    with httpx.Client(base_url=portal.url, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}) as service:
        assert len(service.get("/api/change-events/events").json()["items"]) == 2


def test_the_stream_skips_hidden_events(portal: Portal, client: httpx.Client) -> None:
    with client.stream("GET", "/api/change-events/stream", timeout=10) as stream:
        lines = stream.iter_lines()
        next(lines)
        record(portal, PAYMENTS_API, "api deploy")
        record(portal, PAYMENTS_WEB, "web deploy")
        data = next(line for line in lines if line.startswith("data: "))
        assert '"web deploy"' in data


def test_reading_and_recording_need_their_permissions(portal: Portal, client: httpx.Client) -> None:
    body = {"type": "deployment", "id": "x", "title": "x", "entityRefs": [PAYMENTS_WEB]}
    refused = client.post("/api/change-events", json=body)
    assert refused.status_code == 403 and "change-events.create" in refused.json()["error"]["message"]
    outsider = Identity("user", "user:default/outsider", ("user:default/outsider",), "Outsider")
    with httpx.Client(base_url=portal.url, headers={"Authorization": f"Bearer {portal.token_for(outsider)}"}) as http:
        denied = http.get("/api/change-events/events")
        assert denied.status_code == 403 and "change-events.read" in denied.json()["error"]["message"]
