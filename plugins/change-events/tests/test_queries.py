"""Reading changes: an entity's timeline, the organisation's page, "what changed before this?", the live
stream, search, waiting events placed later, and retention (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.sdk import Identity
from callboard.sdk.testing import SERVICE_TOKEN, Portal
from tests.conftest import CATALOG, GITHUB_SECRET
from tests.support import at, iso, load, send_github

PAYMENTS_API = "component:default/payments-api"
PAYMENTS_WEB = "component:default/payments-web"
LEDGER = "component:default/ledger"


@pytest.fixture(autouse=True)
def catalog(portal: Portal) -> None:
    portal.process_catalog()


def record(portal: Portal, change_type: str, entity: str, minutes_ago: float, **fields: Any) -> str:
    body = {
        "type": change_type,
        "id": f"{change_type}-{entity}-{minutes_ago}",
        "title": fields.pop("title", f"{change_type} of {entity}"),
        "entityRefs": [entity],
        "time": iso(portal.clock() - minutes_ago * 60),
        **fields,
    }
    response = httpx.post(
        f"{portal.url}/api/change-events", json=body, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def titles(answer: dict[str, Any]) -> list[str]:
    return [item["title"] for item in answer["items"]]


def test_the_timeline_filters_by_type_environment_and_time_and_pages_newest_first(
    portal: Portal, client: httpx.Client
) -> None:
    for minutes in range(1, 8):
        env = "production" if minutes % 2 else "staging"
        record(portal, "deployment", PAYMENTS_API, minutes, title=f"deploy {minutes}", environment=env)
    record(portal, "config-change", PAYMENTS_API, 3.5, title="config")
    record(portal, "deployment", LEDGER, 2, title="ledger deploy")
    events = client.get("/api/change-events/events", params={"entity": PAYMENTS_API, "limit": 3}).json()
    assert titles(events) == ["deploy 1", "deploy 2", "deploy 3"]
    rest = client.get(
        "/api/change-events/events", params={"entity": PAYMENTS_API, "limit": 10, "cursor": events["nextCursor"]}
    ).json()
    assert titles(rest) == ["config", "deploy 4", "deploy 5", "deploy 6", "deploy 7"] and rest["nextCursor"] is None
    wanted = {"entity": "payments-api", "type": "deployment", "environment": "production"}
    production = client.get("/api/change-events/events", params=wanted).json()
    assert titles(production) == ["deploy 1", "deploy 3", "deploy 5", "deploy 7"]
    window = client.get(
        "/api/change-events/events",
        params={"entity": PAYMENTS_API, "from": iso(portal.clock() - 4.5 * 60), "to": iso(portal.clock() - 1.5 * 60)},
    ).json()
    assert titles(window) == ["deploy 2", "deploy 3", "config", "deploy 4"]
    bad = client.get("/api/change-events/events", params={"from": "yesterday"})
    assert bad.status_code == 400 and "from" in bad.json()["error"]["message"]
    assert client.get("/api/change-events/events", params={"cursor": "nonsense"}).status_code == 400


def test_the_organisation_page_filters_by_owner_with_child_groups_system_and_type(
    portal: Portal, client: httpx.Client
) -> None:
    record(portal, "deployment", PAYMENTS_WEB, 5, title="web deploy")
    record(portal, "deployment", LEDGER, 4, title="ledger deploy")
    record(portal, "incident-opened", PAYMENTS_API, 1, title="api incident")
    by_owner = client.get("/api/change-events/events", params={"owner": "group:default/payments"}).json()
    assert titles(by_owner) == ["api incident", "web deploy"]  # payments-web is owned by a child group
    assert titles(client.get("/api/change-events/events", params={"owner": "ledger"}).json()) == ["ledger deploy"]
    by_system = client.get("/api/change-events/events", params={"system": "checkout", "type": "deployment"}).json()
    assert titles(by_system) == ["web deploy"]
    page = client.get("/change-events/", params={"owner": "group:default/payments", "days": 1})
    assert page.status_code == 200 and "api incident" in page.text and "ledger deploy" not in page.text
    assert '<svg class="change-timeline"' in page.text and 'href="/change-events/"' in page.text
    group_tab = client.get("/catalog/default/group/payments/changes")
    assert group_tab.status_code == 200 and "web deploy" in group_tab.text and "ledger deploy" not in group_tab.text


def test_what_changed_before_an_incident_walks_the_dependencies_and_ranks_them(
    portal: Portal, client: httpx.Client
) -> None:
    record(portal, "deployment", LEDGER, 50, title="ledger 2.7.1 to production", environment="production")
    record(portal, "config-change", PAYMENTS_API, 200, title="payments timeout")
    record(portal, "deployment", LEDGER, 60 * 30, title="ledger last month")  # outside the 24 h window
    record(portal, "deployment", PAYMENTS_WEB, 10, title="web deploy")  # depends on payments-api, not the reverse
    incident = record(portal, "incident-opened", PAYMENTS_API, 0, title="payments failing")
    answer = client.get(
        "/api/change-events/correlate", params={"entity": PAYMENTS_API, "at": iso(portal.clock())}
    ).json()
    assert titles(answer)[:2] == ["ledger 2.7.1 to production", "payments timeout"]
    assert "ledger last month" not in titles(answer) and "web deploy" not in titles(answer)
    first = answer["items"][0]
    assert first["distance"] == 2
    assert first["via"] == ["consumesApi api:default/ledger-api", "apiProvidedBy component:default/ledger"]
    unknown = client.get("/api/change-events/correlate", params={"entity": "component:default/nope"})
    assert unknown.status_code == 404 and "check the entity ref" in unknown.json()["error"]["message"]
    bad_owner = client.get("/api/change-events/events", params={"owner": "group:default/"})
    assert bad_owner.status_code == 400 and bad_owner.json()["error"]["message"].startswith("owner:")
    shallow = client.get("/api/change-events/correlate", params={"entity": PAYMENTS_API, "depth": 1}).json()
    assert "ledger 2.7.1 to production" not in titles(shallow)
    event = client.get(f"/change-events/events/{incident}")
    assert "What changed before this?" in event.text
    page = client.get("/change-events/before", params={"entity": PAYMENTS_API, "at": iso(portal.clock())})
    assert page.status_code == 200
    assert page.text.index("ledger 2.7.1 to production") < page.text.index("payments timeout")
    assert 'class="marker"' in page.text


def test_the_stream_sends_each_new_change(portal: Portal, client: httpx.Client) -> None:
    with client.stream("GET", "/api/change-events/stream", params={"entity": PAYMENTS_API}, timeout=10) as stream:
        lines = stream.iter_lines()
        assert next(lines).startswith(": live")
        record(portal, "deployment", LEDGER, 1, title="not this entity")
        record(portal, "deployment", PAYMENTS_API, 1, title="streamed deploy")
        for line in lines:
            if line.startswith("data: "):
                assert '"streamed deploy"' in line
                break


def test_an_unmatched_event_is_listed_with_its_reason_and_placed_when_its_entity_appears(
    portal: Portal, client: httpx.Client, catalog_file: Path
) -> None:
    payload = at(load("github-release.json"), portal.clock(), "release.published_at")
    payload["repository"]["full_name"] = "acme/inventory"
    response = send_github(portal.url, GITHUB_SECRET, "release", payload)
    assert response.status_code == 201 and response.json()["entityRefs"] == []
    [waiting] = client.get("/api/change-events/events", params={"unmatched": "true"}).json()["items"]
    assert waiting["unmatched"] == "no entity has github.com/project-slug: acme/inventory"
    page = client.get(f"/change-events/events/{waiting['id']}")
    assert page.status_code == 200 and "none yet (no entity has github.com/project-slug: acme/inventory)" in page.text
    catalog_file.write_text(
        CATALOG
        + "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: inventory\n  annotations:\n"
        "    github.com/project-slug: acme/inventory\nspec: {type: service, lifecycle: production, owner: ledger}\n"
    )
    refreshed = client.post("/api/catalog/refresh", json={"entityRef": PAYMENTS_API})  # and so its location
    assert refreshed.status_code == 200, refreshed.text
    portal.process_catalog()  # the catalog's change event reaches the plugin as it commits
    placed = client.get("/api/change-events/events", params={"entity": "component:default/inventory"}).json()
    assert titles(placed) == ["Release 0.0.1"] and placed["items"][0]["unmatched"] is None
    assert client.get("/api/change-events/events", params={"unmatched": "true"}).json()["items"] == []


def test_search_finds_recent_changes_by_version(portal: Portal, client: httpx.Client) -> None:
    record(portal, "deployment", PAYMENTS_API, 5, title="Deploy payments", version="4.2.0-rc7")
    portal.runtime.indexer.index_collators()
    found = client.get("/api/search/query", params={"term": "4.2.0-rc7"}).json()["results"]
    assert [result["type"] for result in found] == ["change-event"]
    assert found[0]["document"]["title"] == "Deploy payments"


def test_retention_removes_old_changes(portal: Portal, client: httpx.Client) -> None:
    record(portal, "deployment", PAYMENTS_API, 60 * 24 * 500, title="ancient")
    record(portal, "deployment", PAYMENTS_API, 60, title="recent")
    assert portal.run_task("change-events.retention") == "succeeded"
    assert titles(client.get("/api/change-events/events").json()) == ["recent"]


def test_the_picture_draws_the_whole_window_when_the_list_shows_the_newest(
    portal: Portal, client: httpx.Client
) -> None:
    for number in range(105):
        record(portal, "build", PAYMENTS_API, 60 * 24 * 5 * number / 105 + 1, title=f"build {number}")
    page = client.get("/change-events/", params={"days": 7}).text
    picture = page[page.index("<svg") : page.index("</svg>")]
    listed = page[page.index('<ul class="changes">') :]
    assert picture.count("<circle") == 105 and listed.count('<li class="change') == 100
    assert "build 104" in picture and "build 104" not in listed  # the oldest: drawn, not listed


def test_a_domain_stands_for_its_systems_and_their_parts(
    portal: Portal, client: httpx.Client, catalog_file: Path
) -> None:
    catalog_file.write_text(
        CATALOG.replace(
            "kind: System\nmetadata: {name: checkout}\nspec: {owner: payments}",
            "kind: System\nmetadata: {name: checkout}\nspec: {owner: payments, domain: commerce}",
        )
        + "---\napiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: {name: commerce}\nspec: {owner: payments}\n"
    )
    assert client.post("/api/catalog/refresh", json={"entityRef": PAYMENTS_API}).status_code == 200
    portal.process_catalog()
    record(portal, "deployment", PAYMENTS_WEB, 2, title="web deploy")
    record(portal, "deployment", LEDGER, 1, title="ledger deploy")
    assert titles(client.get("/api/change-events/events", params={"domain": "commerce"}).json()) == ["web deploy"]
    tab = client.get("/catalog/default/domain/commerce/changes")
    assert tab.status_code == 200 and "web deploy" in tab.text and "ledger deploy" not in tab.text


def test_the_home_page_card_shows_changes_to_your_entities_and_your_failing_builds(portal: Portal) -> None:
    record(portal, "deployment", PAYMENTS_API, 30, title="Deploy 2.1 to production")
    record(portal, "build", PAYMENTS_API, 50, title="Build 2.1: success", attributes={"conclusion": "success"})
    record(portal, "build", PAYMENTS_API, 20, title="Build 2.2: failure", attributes={"conclusion": "failure"})
    record(portal, "build", LEDGER, 10, title="Ledger build: failure", attributes={"conclusion": "failure"})
    record(portal, "build", PAYMENTS_WEB, 40, title="Pipeline #9 on main: failed", attributes={"status": "failed"})
    record(portal, "build", PAYMENTS_WEB, 5, title="Pipeline #10 on main: success", attributes={"status": "success"})
    payments = Identity("user", "user:default/pat", ("user:default/pat", "group:default/payments"), "Pat")
    headers = {"Authorization": f"Bearer {portal.token_for(payments)}", "accept": "text/html"}
    home = httpx.get(f"{portal.url}/", headers=headers).text
    assert 'hx-get="/home/cards/my-changes"' in home and "Changes to your entities" in home
    card = httpx.get(f"{portal.url}/home/cards/my-changes", headers=headers).text
    failing = card.split("<h3>Failing builds</h3>", 1)[1].split("</ul>", 1)[0]
    assert "Build 2.2: failure" in failing  # the latest build of payments-api failed
    assert "Ledger build" not in failing  # not theirs
    latest = card.split("<h3>Latest changes</h3>", 1)[1]
    assert "Deploy 2.1 to production" in latest and "Ledger" not in latest
    # Someone who owns nothing is told so; the payments-web team's fixed pipeline is not failing.
    web = Identity("user", "user:default/wes", ("user:default/wes", "group:default/payments-web-team"), "Wes")
    web_card = httpx.get(
        f"{portal.url}/home/cards/my-changes", headers={"Authorization": f"Bearer {portal.token_for(web)}"}
    ).text
    assert "Failing builds" not in web_card and "Pipeline #10 on main: success" in web_card
    nobody = Identity("user", "user:default/new", ("user:default/new",), "New")
    empty = httpx.get(
        f"{portal.url}/home/cards/my-changes", headers={"Authorization": f"Bearer {portal.token_for(nobody)}"}
    ).text
    assert "You own nothing in the catalog yet" in empty


def test_the_demo_month_is_recorded_whole_and_once(portal: Portal, client: httpx.Client) -> None:
    """The demo's month goes in by groups of commits (one commit per event outlasted a stopping portal's wait
    for its scheduled runs and left part of the month behind), once: seeding again records nothing."""
    from callboard_change_events import demo, state

    service = state.service
    assert service is not None
    components = service.context.catalog.find({"kind": "component"}, limit=500)
    expected = len(demo.month(components, service.context.now()))
    assert expected > 100
    assert demo.seed(service) == expected
    assert demo.seed(service) == 0
    listed = client.get("/api/change-events/events", params={"entity": PAYMENTS_API, "limit": 500}).json()
    assert listed["items"] and all(PAYMENTS_API in item["entityRefs"] for item in listed["items"])
