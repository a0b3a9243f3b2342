"""The CI/CD tab, the build status card and Re-run, against a local GitHub that speaks the REST API's actions
endpoints: what a team lead sees, what only the permitted may do, and how GitHub is spared and survived."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from callboard.sdk.testing import Portal, VendorStandIns
from tests.conftest import TOKEN

PAGE = "/catalog/default/component/booking-service"
TAB = f"{PAGE}/tabs/github-actions"
ENTITY = "component:default/booking-service"


def _runs(client: httpx.Client, entity: str = ENTITY, **params: Any) -> dict[str, Any]:
    response = client.get("/api/github-actions/runs", params={"entity": entity, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _calls(vendors: VendorStandIns, fragment: str) -> int:
    return sum(count for call, count in vendors.github.calls.items() if fragment in call)


def test_the_tab_lists_runs_filters_them_and_opens_one_with_jobs_and_steps(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    shell = client.get(f"{PAGE}/github-actions")
    assert shell.status_code == 200
    assert 'hx-get="/catalog/default/component/booking-service/tabs/github-actions"' in shell.text
    assert "CI/CD" in shell.text

    tab = client.get(TAB)
    assert tab.status_code == 200, tab.text
    repository = vendors.github.repository("northwind", "booking-service")
    newest = max(repository.runs, key=lambda run: run.created)
    assert f"{newest.name} #{newest.number}" in tab.text
    assert "northwind/booking-service on GitHub" in tab.text

    on_main = client.get(TAB, params={"branch": "main"})
    others = {run.branch for run in repository.runs} - {"main"}
    assert others and not any(f"<td>{branch}</td>" in on_main.text for branch in others)
    assert "<td>main</td>" in on_main.text

    failed = next(run for run in repository.runs if run.conclusion == "failure")
    detail = client.get(TAB, params={"run": failed.id})
    assert f"{failed.name} #{failed.number}" in detail.text
    for job in failed.jobs:
        assert job in detail.text
    assert "Checkout" in detail.text and "outcome-failure" in detail.text
    assert ">Re-run</button>" in detail.text  # the tester owns booking-service: the rule's condition holds

    api = _runs(client, workflow=str(newest.workflow))
    assert api["repository"] == "northwind/booking-service"
    assert {run["workflow"] for run in api["runs"]} == {newest.name}
    assert api["staleSince"] is None


def test_the_card_shows_the_default_branchs_latest_run_per_workflow(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    overview = client.get(PAGE)
    assert 'hx-get="/catalog/default/component/booking-service/cards/github-actions"' in overview.text
    card = client.get(f"{PAGE}/cards/github-actions")
    assert card.status_code == 200
    main_runs = [run for run in vendors.github.repository("northwind", "booking-service").runs if run.branch == "main"]
    latest = max(main_runs, key=lambda run: run.created)
    assert f"{latest.name} #{latest.number}" in card.text
    assert "Latest on <strong>main</strong>" in card.text


def test_rerun_is_sent_audited_and_shows_the_run_queued(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    run = vendors.github.repository("northwind", "booking-service").runs[0]
    assert _runs(client)["runs"]  # cached before the re-run: the re-run must drop it
    done = client.post(f"/api/github-actions/runs/{run.id}/rerun", params={"entity": ENTITY})
    assert done.status_code == 202, done.text
    assert done.json() == {"status": "requested", "run": run.id, "entity": ENTITY}
    assert vendors.github.reruns == [("northwind/booking-service", run.id)]
    again = next(r for r in _runs(client)["runs"] if r["id"] == run.id)
    assert again["status"] == "queued" and again["attempt"] == 2

    entries = portal.audit_entries(actions=["github-actions.run.rerun", "github-actions.http.post"])
    assert {entry["action"] for entry in entries} == {"github-actions.run.rerun", "github-actions.http.post"}
    rerun = next(entry for entry in entries if entry["action"] == "github-actions.run.rerun")
    assert rerun["actor"] == "user:default/tester" and rerun["target"] == ENTITY
    assert rerun["details"]["outcome"] == "ok" and rerun["details"]["run"] == run.id


def test_rerun_is_refused_without_the_permission_on_that_entity_and_for_an_unreadable_one(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    theirs = vendors.github.repository("northwind", "theirs").runs[0]
    tab = client.get("/catalog/default/component/theirs/tabs/github-actions", params={"run": theirs.id})
    assert tab.status_code == 200 and theirs.name in tab.text
    assert "Re-run" not in tab.text  # no button where the permission's condition fails

    refused = client.post(f"/api/github-actions/runs/{theirs.id}/rerun", params={"entity": "component:default/theirs"})
    assert refused.status_code == 403
    assert "github-actions.run.rerun is not granted" in refused.json()["error"]["message"]
    hidden = client.post("/api/github-actions/runs/1/rerun", params={"entity": "component:default/hidden"})
    assert hidden.status_code == 404
    assert client.get("/api/github-actions/runs", params={"entity": "component:default/hidden"}).status_code == 404
    assert vendors.github.reruns == []
    assert not any("rerun" in call for call in vendors.github.calls)
    denied = portal.audit_entries(actions=["github-actions.run.rerun"])
    assert [entry["details"]["outcome"] for entry in denied] == ["denied"]


def test_views_share_one_github_call_per_window(portal: Portal, client: httpx.Client, vendors: VendorStandIns) -> None:
    portal.process_catalog()
    for _ in range(5):
        assert client.get(TAB).status_code == 200
    assert _calls(vendors, "/actions/runs") == 1 and _calls(vendors, "/actions/workflows") == 1
    portal.clock.advance(61)
    client.get(TAB)
    assert _calls(vendors, "/actions/runs") == 2


def test_a_rate_limited_github_leaves_the_last_runs_with_stale_since_and_is_not_called_again(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    first = _runs(client)
    portal.clock.advance(61)
    vendors.github.limited_until = time.time() + 600
    stale = _runs(client)
    assert stale["runs"] == first["runs"]
    assert stale["staleSince"] == portal.clock.now
    assert "GitHub is limiting our calls (HTTP 403): API rate limit exceeded" in stale["problem"]
    calls = _calls(vendors, "/actions/runs")
    portal.clock.advance(120)  # within the reset GitHub gave: no call
    assert _runs(client)["staleSince"] is not None
    assert _calls(vendors, "/actions/runs") == calls
    assert "Stale since" in client.get(TAB).text


def test_an_entity_without_the_annotation_says_how_to_add_it(portal: Portal, client: httpx.Client) -> None:
    portal.process_catalog()
    missing = client.get("/catalog/default/component/no-slug/tabs/github-actions")
    assert missing.status_code == 200
    assert "github.com/project-slug: northwind/booking-service" in missing.text
    invalid = client.get("/catalog/default/component/bad-slug/tabs/github-actions")
    assert "is not owner/repository" in invalid.text
    api = client.get("/api/github-actions/runs", params={"entity": "component:default/no-slug"})
    assert api.status_code == 404 and "github.com/project-slug" in api.json()["error"]["message"]


def test_a_refused_credential_is_explained_to_administrators_and_never_shown(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    healthy = client.get("/admin/plugins/github-actions/health")
    assert "✓ GitHub accepts the portal&#39;s credential" in healthy.text
    vendors.github.credentials = {"a-token-the-portal-does-not-have"}
    health = client.get("/admin/plugins/github-actions/health")
    assert "GitHub refused the portal&#39;s credential (HTTP 401): Bad credentials" in health.text
    assert "integrations.github" in health.text
    tab = client.get(TAB)
    assert "GitHub could not be read" in tab.text and "Installed plugins page" in tab.text
    plugins = client.get("/admin/plugins")
    assert 'hx-get="/admin/plugins/github-actions/health"' in plugins.text
    for response in (
        healthy,
        health,
        tab,
        plugins,
        client.get(PAGE),
        client.get("/api/github-actions/runs", params={"entity": ENTITY}),
    ):
        assert TOKEN not in response.text


@pytest.mark.parametrize("portal", ["sqlite"], indirect=True)
def test_finished_runs_become_change_events_once(portal: Portal, client: httpx.Client, vendors: VendorStandIns) -> None:
    heard: list[dict[str, Any]] = []
    portal.runtime.events.subscribe("change-events.record", lambda topic, payload: heard.append(dict(payload)))
    portal.process_catalog()
    _runs(client)
    portal.clock.advance(61)
    _runs(client)
    repository = vendors.github.repository("northwind", "booking-service")
    shown = sorted(repository.runs, key=lambda run: -run.created)[:20]
    assert len(heard) == len(shown)
    deploy = next(event for event in heard if event["title"].startswith("Deploy"))
    assert deploy["type"] == "deployment" and deploy["source"] == "github"
    assert deploy["id"].startswith("workflow_run/") and deploy["entityRefs"] == [ENTITY]
    assert {event["type"] for event in heard} == {"build", "deployment"}
