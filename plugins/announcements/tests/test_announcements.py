"""The plugin in a real portal (SQLite and PostgreSQL): its table, API, page, card, tasks, provider, events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy

from callboard.sdk.testing import Portal
from callboard_announcements import state
from tests.feed_server import FEED_SECRET, FeedServer

PAYMENTS = "group:default/payments"


def post(client: httpx.Client, title: str, team: str = PAYMENTS, body: str = "") -> dict[str, Any]:
    response = client.post("/api/announcements/posts", json={"team": team, "title": title, "body": body})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_its_migration_creates_its_table_in_its_own_history(portal: Portal) -> None:
    with portal.runtime.database.connect() as connection:
        tables = set(sqlalchemy.inspect(connection).get_table_names())
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version_announcements").scalar()
    assert {"announcements_posts", "alembic_version_announcements", "alembic_version"} <= tables
    assert version == "announcements_0001"


def test_posts_round_trip_through_the_api_and_are_audited(portal: Portal, client: httpx.Client) -> None:
    created = post(client, "Payments API v1 retires on 1 March", body="Move to v2.")
    assert created["team"] == PAYMENTS and created["author"] == "user:default/tester"
    listed = client.get("/api/announcements/posts", params={"team": "payments"}).json()["items"]
    assert [item["title"] for item in listed] == ["Payments API v1 retires on 1 March"]
    assert client.get("/api/announcements/posts", params={"team": "group:default/other"}).json()["items"] == []
    entries = portal.audit_entries(actions=["announcements.post.create"])
    assert [(entry["actor"], entry["target"]) for entry in entries] == [("user:default/tester", PAYMENTS)]


def test_bad_posts_get_a_400_naming_the_field(client: httpx.Client) -> None:
    bad_team = client.post("/api/announcements/posts", json={"team": "group:default/", "title": "x"})
    assert bad_team.status_code == 400 and "team" in bad_team.json()["error"]["message"]
    refused = client.post("/api/announcements/posts", json={"team": PAYMENTS, "title": ""})
    assert refused.status_code == 400 and "title" in refused.json()["error"]["message"]


def test_routes_need_sign_in_except_the_declared_public_one(anonymous_client: httpx.Client) -> None:
    assert anonymous_client.get("/api/announcements/health").json() == {"status": "ok"}
    assert anonymous_client.get("/api/announcements/posts").status_code == 401
    assert anonymous_client.post("/api/announcements/posts", json={"team": PAYMENTS, "title": "x"}).status_code == 401


def test_the_page_renders_in_the_portal_layout_with_its_posts(client: httpx.Client) -> None:
    post(client, "Freeze from Friday")
    page = client.get("/announcements/")
    assert page.status_code == 200
    assert "Freeze from Friday" in page.text
    assert 'class="sidebar"' in page.text and 'href="/announcements/"' in page.text  # the layout and the nav item
    assert client.get("/announcements/static/announcements.css").status_code == 200


def test_the_page_form_posts_with_its_csrf_token(client: httpx.Client) -> None:
    response = client.post("/announcements/", data={"team": "payments", "title": "From the form", "csrf_token": ""})
    assert response.status_code in (303, 200)
    assert "From the form" in client.get("/announcements/").text


@pytest.fixture
def deny_posting(callboard_config: dict[str, Any]) -> dict[str, Any]:
    callboard_config["permission"] = {
        "rules": [{"permission": "announcements.post.create", "decision": "deny", "principals": ["*"]}]
    }
    return callboard_config


@pytest.mark.usefixtures("deny_posting")
def test_its_permission_is_decided_by_the_config_policy(client: httpx.Client) -> None:
    refused = client.post("/api/announcements/posts", json={"team": PAYMENTS, "title": "No"})
    assert refused.status_code == 403 and "announcements.post.create" in refused.text
    assert '<form class="announcement-form"' not in client.get("/announcements/").text


def test_the_expiry_task_removes_old_posts_on_the_fake_clock(portal: Portal, client: httpx.Client) -> None:
    post(client, "Old news")
    portal.clock.advance(29 * 86400)
    post(client, "Recent news")
    portal.clock.advance(2 * 86400)
    assert portal.run_task("announcements.expire") == "succeeded"
    titles = [item["title"] for item in client.get("/api/announcements/posts").json()["items"]]
    assert titles == ["Recent news"]


def test_the_feed_is_imported_with_credentials_the_plugin_never_sees(
    portal: Portal, feed: FeedServer, client: httpx.Client
) -> None:
    assert portal.run_task("announcements.import-feed") == "succeeded"
    assert feed.requests[0]["path"] == "/v1/feed.json" and feed.requests[0]["authorization"] == FEED_SECRET
    titles = {item["title"] for item in client.get("/api/announcements/posts").json()["items"]}
    assert titles == {"Card refunds slower on Friday", "Kubernetes 1.31 upgrade"}
    assert portal.run_task("announcements.import-feed") == "succeeded"  # a second run adds nothing
    assert len(client.get("/api/announcements/posts").json()["items"]) == 2


def test_a_broken_feed_fails_the_run_with_its_reason(portal: Portal, feed: FeedServer) -> None:
    feed.items = [{"title": "no team"}]
    outcome = portal.run_task("announcements.import-feed")
    assert outcome.startswith("failed: ValueError: feed item 1 needs a team and a title")


def test_the_provider_puts_channels_in_the_catalog_and_the_card_shows_posts(
    portal: Portal, client: httpx.Client
) -> None:
    assert portal.run_task("announcements.provider.channels") == "succeeded"
    portal.process_catalog()
    entity = client.get("/api/catalog/entities/by-name/resource/default/announcements-payments").json()
    assert entity["spec"] == {"type": "announcement-channel", "owner": PAYMENTS}
    post(client, "Card refunds slower on Friday")
    page = client.get("/catalog/default/resource/announcements-payments")
    assert page.status_code == 200 and "Card refunds slower on Friday" in page.text


def test_posting_publishes_an_event_its_subscriber_hears(client: httpx.Client) -> None:
    before = state.heard
    post(client, "Heard")
    assert state.heard == before + 1


@pytest.fixture
def user_owned_channel(callboard_config: dict[str, Any]) -> dict[str, Any]:
    callboard_config["plugins"]["announcements"]["channels"].append({"name": "jane", "owner": "user:default/jane"})
    return callboard_config


@pytest.mark.usefixtures("user_owned_channel")
def test_its_processor_reports_a_channel_not_owned_by_a_team(portal: Portal) -> None:
    assert portal.run_task("announcements.provider.channels") == "succeeded"
    portal.process_catalog()
    problems = str(portal.runtime.catalog.views.problems())
    assert "an announcement channel must be owned by a group, not user:default/jane" in problems
    assert "announcements-payments" not in problems
