"""The demo with the change events plugin (installed by make install): a month of changes over the demo
catalog, and "what changed before this?" from an incident names the dependency's change first."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from callboard.core.identity import Identity
from tests.web.ui.conftest import Portal, running_portal


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with running_portal(tmp_path_factory.mktemp("change-events-demo")) as running:
        run = running.runtime.scheduler.run_now("change-events.demo", by="test")
        assert run.error is None, run.error
        yield running


def client(demo: Portal) -> httpx.Client:
    token = demo.runtime.auth.tokens.issue(Identity("user", "user:default/guest", ("user:default/guest",), "Guest"))
    return httpx.Client(base_url=demo.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_the_demo_has_a_month_of_changes_on_its_services(demo: Portal) -> None:
    with client(demo) as http:
        deployments = http.get(
            "/api/change-events/events",
            params={"entity": "component:default/booking-service", "type": "deployment", "limit": 200},
        ).json()["items"]
        assert len(deployments) >= 10
        assert {item["environment"] for item in deployments} == {"staging", "production"}
        assert {item["market"] for item in deployments if item["environment"] == "production"} == {
            "eu-west-1",
            "us-east-1",
        }


def test_before_the_demo_s_latest_incident_the_dependency_s_deploy_comes_first(demo: Portal) -> None:
    with client(demo) as http:
        [incident] = http.get(
            "/api/change-events/events",
            params={"entity": "component:default/payment-service", "type": "incident-opened", "limit": 1},
        ).json()["items"]
        answer = http.get(
            "/api/change-events/correlate",
            params={"entity": "component:default/payment-service", "at": incident["time"]},
        ).json()
        first = answer["items"][0]
        assert first["entityRefs"] == ["component:default/invoice-service"] and first["type"] == "deployment"
        assert first["distance"] == 2  # payment-service consumes invoice-api, which invoice-service provides
        page = http.get("/change-events/before", params={"entity": "payment-service", "at": incident["time"]})
        assert page.status_code == 200 and "Deploy invoice-service 2.0.0 to production" in page.text


def test_seeding_twice_adds_nothing(demo: Portal) -> None:
    with client(demo) as http:
        before = http.get("/api/change-events/events", params={"limit": 1}).json()["items"][0]["id"]
        demo.runtime.scheduler.run_now("change-events.demo", by="test")
        assert http.get("/api/change-events/events", params={"limit": 1}).json()["items"][0]["id"] == before
