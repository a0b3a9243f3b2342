"""Every way in, over real HTTP to a real portal (SQLite and PostgreSQL), in the providers' own formats."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import typer
from typer.testing import CliRunner

from callboard.sdk.testing import SERVICE_TOKEN, Portal
from callboard_change_events import cli as commands
from tests.conftest import GITHUB_SECRET, GITLAB_TOKEN, PAGERDUTY_SECRET
from tests.support import at, github_signature, load, send_github

PAYMENTS_API = "component:default/payments-api"


@pytest.fixture(autouse=True)
def catalog(portal: Portal) -> None:
    portal.process_catalog()


def timeline(client: httpx.Client, entity: str) -> list[dict]:
    response = client.get("/api/change-events/events", params={"entity": entity})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_signed_github_deployment_appears_on_its_entity_s_timeline_at_once(
    portal: Portal, client: httpx.Client
) -> None:
    payload = at(load("github-deployment_status.json"), portal.clock(), "deployment_status.updated_at")
    started = time.monotonic()
    response = send_github(portal.url, GITHUB_SECRET, "deployment_status", payload)
    assert response.status_code == 201, response.text
    assert response.json()["entityRefs"] == [PAYMENTS_API]
    [event] = timeline(client, PAYMENTS_API)
    assert time.monotonic() - started < 1.0  # stored before the answer: on the timeline within a second
    assert event["type"] == "deployment" and event["environment"] == "production" and event["version"] == "v1.4.2"
    assert event["title"] == "Deploy v1.4.2 to production: success"
    assert event["url"] == "https://ci.example.com/deploys/1812" and event["source"] == "github"
    assert event["attributes"]["delivery"] == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    page = client.get("/catalog/default/component/payments-api/changes")
    assert page.status_code == 200 and "Deploy v1.4.2 to production: success" in page.text
    assert "<svg" in page.text and 'class="mark type-deployment"' in page.text


def test_the_same_delivery_twice_is_stored_once(portal: Portal, client: httpx.Client) -> None:
    payload = at(load("github-deployment.json"), portal.clock(), "deployment.created_at")
    first = send_github(portal.url, GITHUB_SECRET, "deployment", payload)
    again = send_github(portal.url, GITHUB_SECRET, "deployment", payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["created"] is False
    assert len(timeline(client, PAYMENTS_API)) == 1


def test_a_bad_signature_gets_401_stores_nothing_and_is_audited(portal: Portal, client: httpx.Client) -> None:
    payload = at(load("github-deployment.json"), portal.clock(), "deployment.created_at")
    body = json.dumps(payload).encode()
    for signature in (github_signature("not-the-secret", body), None):
        headers = {"X-GitHub-Event": "deployment", "Content-Type": "application/json"}
        if signature:
            headers["X-Hub-Signature-256"] = signature
        refused = httpx.post(f"{portal.url}/api/change-events/webhooks/github", content=body, headers=headers)
        assert refused.status_code == 401
        assert "X-Hub-Signature-256" in refused.json()["error"]["message"]
    tampered = body.replace(b"production", b"staging")
    headers = {"X-GitHub-Event": "deployment", "X-Hub-Signature-256": github_signature(GITHUB_SECRET, body)}
    assert (
        httpx.post(f"{portal.url}/api/change-events/webhooks/github", content=tampered, headers=headers).status_code
        == 401
    )
    assert timeline(client, PAYMENTS_API) == []
    assert client.get("/api/change-events/events").json()["items"] == []
    refusals = portal.audit_entries(actions=["change-events.ingest.github"])
    assert len(refusals) == 3 and all(entry["details"]["outcome"] == "refused" for entry in refusals)


def test_replays_older_than_the_window_and_oversized_bodies_are_refused(portal: Portal, client: httpx.Client) -> None:
    old = at(load("github-deployment.json"), portal.clock() - 4 * 86400, "deployment.created_at")
    refused = send_github(portal.url, GITHUB_SECRET, "deployment", old)
    assert refused.status_code == 400 and "replay window" in refused.json()["error"]["message"]
    big = b"{" + b" " * 600_000 + b"}"
    headers = {"X-GitHub-Event": "deployment", "X-Hub-Signature-256": github_signature(GITHUB_SECRET, big)}
    too_big = httpx.post(f"{portal.url}/api/change-events/webhooks/github", content=big, headers=headers)
    assert too_big.status_code == 413 and "maxBodyBytes" in too_big.json()["error"]["message"]
    assert client.get("/api/change-events/events").json()["items"] == []


def test_github_events_each_become_their_change(portal: Portal, client: httpx.Client) -> None:
    now = portal.clock()
    cases = [
        (
            "push",
            at(load("github-push-main.json"), now, "repository.pushed_at"),
            "push",
            "Push to main: Raise the payment timeout to 3 s",
        ),
        ("release", at(load("github-release.json"), now, "release.published_at"), "release", "Release 0.0.1"),
        (
            "pull_request",
            at(load("github-pull_request.json"), now, "pull_request.merged_at"),
            "pull-request-merged",
            "#2 Update the README with new information.",
        ),
        (
            "workflow_run",
            at(load("github-workflow_run.json"), now, "workflow_run.updated_at"),
            "build",
            "Build #562 on main: success",
        ),
    ]
    for event, payload, change_type, title in cases:
        response = send_github(portal.url, GITHUB_SECRET, event, payload, delivery=f"delivery-{event}")
        assert response.status_code == 201, (event, response.text)
        stored = client.get(f"/api/change-events/events/{response.json()['id']}").json()
        assert (stored["type"], stored["title"], stored["entityRefs"]) == (change_type, title, [PAYMENTS_API])
    ignored = send_github(portal.url, GITHUB_SECRET, "push", load("github-push-deleted.json"))
    assert ignored.status_code == 202 and "deleted" in ignored.json()["ignored"]
    ping = send_github(portal.url, GITHUB_SECRET, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert ping.status_code == 202


def test_gitlab_events_need_the_token_and_become_changes(portal: Portal, client: httpx.Client) -> None:
    now = portal.clock()
    url = f"{portal.url}/api/change-events/webhooks/gitlab"
    deployment = at(load("gitlab-deployment.json"), now, "status_changed_at")
    wrong = httpx.post(
        url, json=deployment, headers={"X-Gitlab-Event": "Deployment Hook", "X-Gitlab-Token": "wrong-token"}
    )
    assert wrong.status_code == 401 and "X-Gitlab-Token" in wrong.json()["error"]["message"]
    cases = [
        ("Deployment Hook", deployment, "deployment", "Deploy 279484c0 to staging: success"),
        ("Push Hook", at(load("gitlab-push.json"), now, "commits.1.timestamp"), "push", "Push to master: fixed readme"),
        (
            "Merge Request Hook",
            at(load("gitlab-merge_request.json"), now, "object_attributes.updated_at"),
            "pull-request-merged",
            "!1 MS-Viewport",
        ),
        (
            "Pipeline Hook",
            at(load("gitlab-pipeline.json"), now, "object_attributes.finished_at"),
            "build",
            "Pipeline #3 on master: success",
        ),
    ]
    for header, payload, change_type, title in cases:
        headers = {"X-Gitlab-Event": header, "X-Gitlab-Token": GITLAB_TOKEN, "X-Gitlab-Event-UUID": header}
        response = httpx.post(url, json=payload, headers=headers)
        assert response.status_code == 201, (header, response.text)
        stored = client.get(f"/api/change-events/events/{response.json()['id']}").json()
        assert (stored["type"], stored["title"]) == (change_type, title)
        assert stored["entityRefs"] == ["component:default/payments-web"]


def test_pagerduty_incidents_need_a_valid_signature(portal: Portal, client: httpx.Client) -> None:
    url = f"{portal.url}/api/change-events/webhooks/pagerduty"
    payload = at(load("pagerduty-incident.triggered.json"), portal.clock(), "event.occurred_at")
    body = json.dumps(payload).encode()
    signature = github_signature(PAGERDUTY_SECRET, body).replace("sha256=", "v1=")
    bad = httpx.post(url, content=body, headers={"X-PagerDuty-Signature": "v1=00ff"})
    assert bad.status_code == 401
    rotated = httpx.post(url, content=body, headers={"X-PagerDuty-Signature": f"v1=00ff,{signature}"})
    assert rotated.status_code == 201, rotated.text
    [event] = timeline(client, PAYMENTS_API)
    assert event["type"] == "incident-opened" and event["title"] == "Incident opened: #2 A little bump in the road"
    assert event["url"] == "https://acme.pagerduty.com/incidents/PGR0VU2"


def test_a_cloudevent_in_both_modes_lands_on_its_subject(portal: Portal) -> None:
    headers = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    url = f"{portal.url}/api/change-events/cloudevents"
    structured = load("cloudevent-structured.json")
    structured["time"] = at({"t": ""}, portal.clock(), "t")["t"]
    response = httpx.post(
        url, content=json.dumps(structured), headers={**headers, "Content-Type": "application/cloudevents+json"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["entityRefs"] == ["component:default/ledger"]
    binary_headers = {
        **headers,
        "Content-Type": "application/json",
        "ce-specversion": "1.0",
        "ce-type": "dev.callboard.change.feature-flag",
        "ce-source": "https://flags.example.com",
        "ce-id": "flag-checkout-v2-on",
        "ce-subject": "payments-api",
        "ce-time": structured["time"],
    }
    flagged = httpx.post(
        url, json={"title": "checkout-v2 on for 10 %", "environment": "production"}, headers=binary_headers
    )
    assert flagged.status_code == 201, flagged.text
    assert flagged.json()["entityRefs"] == [PAYMENTS_API]
    with httpx.Client(base_url=portal.url, headers=headers) as service:
        [ledger] = timeline(service, "component:default/ledger")
        assert (ledger["market"], ledger["cluster"], ledger["version"]) == ("eu-west-1", "prod-eu-1", "2.7.1")
        assert ledger["source"] == "cloudevents:https://argocd.example.com/applications/ledger-prod"
    wrong_type = httpx.post(
        url, json={"title": "x"}, headers={**binary_headers, "ce-type": "com.example.other", "ce-id": "x"}
    )
    assert wrong_type.status_code == 400 and "dev.callboard.change." in wrong_type.json()["error"]["message"]
    anonymous = httpx.post(
        url, content=json.dumps(structured), headers={"Content-Type": "application/cloudevents+json"}
    )
    assert anonymous.status_code == 401
    assert portal.audit_entries(actions=["change-events.create"])


def test_the_generic_api_and_the_command_line_record_changes(portal: Portal, client: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    body = {
        "type": "config-change",
        "id": "cfg-1",
        "title": "Timeout 3 s",
        "entityRefs": ["payments-api"],
        "environment": "production",
    }
    response = httpx.post(f"{portal.url}/api/change-events", json=body, headers=headers)
    assert response.status_code == 201, response.text
    bad = httpx.post(f"{portal.url}/api/change-events", json={**body, "type": "rumour"}, headers=headers)
    assert bad.status_code == 400 and "type" in bad.json()["error"]["message"]
    app = typer.Typer()
    commands.add_commands(app)
    arguments = [
        "events",
        "send",
        "--type",
        "deployment",
        "--entity",
        "component:payments-api",
        "--env",
        "prod",
        "--version",
        "1.4.3",
        "--id",
        "deploy-1.4.3",
        "--time",
        at({"t": ""}, portal.clock(), "t")["t"],
    ]
    environment = {"CALLBOARD_URL": portal.url, "CALLBOARD_TOKEN": SERVICE_TOKEN}
    sent = CliRunner().invoke(app, arguments, env=environment)
    assert sent.exit_code == 0, sent.output
    assert "recorded: change event" in sent.output and PAYMENTS_API in sent.output
    refused = CliRunner().invoke(app, [*arguments[:3], "rumour", *arguments[4:]], env=environment)
    assert refused.exit_code == 1 and "type" in refused.output
    titles = [event["title"] for event in timeline(client, PAYMENTS_API)]
    assert sorted(titles) == ["Timeout 3 s", "deployment 1.4.3"]


def test_annotations_and_rules_place_events_that_name_no_entity(portal: Portal, client: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {SERVICE_TOKEN}", "Content-Type": "application/cloudevents+json"}
    url = f"{portal.url}/api/change-events/cloudevents"
    now = at({"t": ""}, portal.clock(), "t")["t"]
    by_annotation = {
        "specversion": "1.0",
        "type": "dev.callboard.change.deployment",
        "source": "https://flux.example.com",
        "id": "flux-ledger-1",
        "time": now,
        "data": {"title": "Flux applied ledger", "annotations": {"backstage.io/kubernetes-id": "ledger"}},
    }
    by_rule = {
        "specversion": "1.0",
        "type": "dev.callboard.change.config-change",
        "source": "https://config.example.com",
        "id": "cfg-ledger-7",
        "time": now,
        "data": {"title": "Ledger limits", "attributes": {"service": "ledger-eu"}},
    }
    heard: list[dict] = []
    portal.runtime.events.subscribe("change-events.created", lambda topic, payload: heard.extend(payload["events"]))
    for event in (by_annotation, by_rule):
        response = httpx.post(url, content=json.dumps(event), headers=headers)
        assert response.status_code == 201, response.text
        assert response.json()["entityRefs"] == ["component:default/ledger"]
    assert [item["entityRefs"] for item in heard] == [["component:default/ledger"]] * 2
    assert {item["type"] for item in heard} == {"deployment", "config-change"}


def test_a_change_another_plugin_heard_is_recorded_once_and_bad_ones_are_logged(
    portal: Portal, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """What the GitHub Actions and GitLab CI plugins publish on change-events.record (no import between them)."""
    change = {
        "source": "github",
        "id": "workflow_run/42/1",
        "type": "build",
        "time": portal.clock() - 60,
        "title": "CI #42 on main: success",
        "url": "https://github.com/acme/payments-api/actions/runs/42",
        "entityRefs": [PAYMENTS_API],
    }
    portal.runtime.events.publish("change-events.record", change)
    portal.runtime.events.publish("change-events.record", change)  # seen twice: stored once
    portal.runtime.events.publish("change-events.record", {"source": "github", "type": "build"})
    [event] = timeline(client, PAYMENTS_API)
    assert event["title"] == "CI #42 on main: success" and event["source"] == "github"
    assert "ignored a change heard on change-events.record: id:" in caplog.text
