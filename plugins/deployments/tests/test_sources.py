"""Versions from Argo CD (its REST API, token on the server) and from deployment change events (through the
event bus, from the change-events plugin when it is installed), joined with what clusters report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

import callboard_change_events
import callboard_deployments
from callboard.sdk.testing import SERVICE_TOKEN, LoopbackServer, Portal
from tests.argocd_server import ACCEPTED, TOKEN, application, create_app
from tests.conftest import callboard_config as base_config
from tests.support import iso

LEDGER = "/api/deployments/entities/component/default/ledger"
PAYMENTS = "/api/deployments/entities/component/default/payments-api"
APPLICATIONS: list[dict[str, Any]] = []


@pytest.fixture
def argocd() -> Iterator[LoopbackServer]:
    APPLICATIONS[:] = [
        application(
            "ledger-prod-eu",
            cluster="prod-eu",
            namespace="money",
            image="ghcr.io/acme/ledger:3.2.0",
            revision="9f1c2d3e4b5a6978",
        ),
        application("unowned", cluster="https://10.0.0.9:6443", namespace="misc", image="nginx:1.25", revision="abc"),
    ]
    with LoopbackServer(create_app(APPLICATIONS)) as server:
        yield server


@pytest.fixture
def callboard_plugins() -> dict[str, ModuleType]:
    return {"deployments": callboard_deployments, "change-events": callboard_change_events}


@pytest.fixture
def callboard_config(catalog_file: Path, kubernetes: Any, argocd: LoopbackServer) -> dict[str, Any]:
    config = base_config.__wrapped__(catalog_file, kubernetes)  # type: ignore[attr-defined]
    config["integrations"] = {"argocd": [{"host": "argocd.example.com", "apiBaseUrl": argocd.url, "token": TOKEN}]}
    config["deployments"]["argocd"] = {"integration": "argocd", "clusters": {"https://10.0.0.9:6443": "staging-eu"}}
    config["deployments"]["targets"] = [{"name": "lambda-us", "environment": "production", "market": "us"}]
    return config


@pytest.fixture(autouse=True)
def catalog(portal: Portal) -> None:
    portal.process_catalog()


def test_argo_cd_applications_give_version_sync_and_health(portal: Portal, client: httpx.Client) -> None:
    assert portal.run_task("deployments.argocd") == "succeeded"
    [item] = client.get(LEDGER).json()["items"]
    assert item["source"] == "argocd" and item["cluster"] == "prod-eu" and item["environment"] == "production"
    assert item["version"] == "3.2.0" and item["health"] == "Healthy" and item["sync"] == "Synced"
    assert item["deployedBy"] == "release-bot" and item["deployedAt"] == "2026-01-01T09:30:00Z"
    assert item["url"].endswith("/applications/ledger-prod-eu")
    APPLICATIONS[0]["status"]["health"]["status"] = "Degraded"
    APPLICATIONS[0]["status"]["sync"]["status"] = "OutOfSync"
    assert portal.run_task("deployments.argocd") == "succeeded"
    [item] = client.get(LEDGER).json()["items"]
    assert item["health"] == "Degraded" and item["sync"] == "OutOfSync"
    workloads = client.get("/api/deployments/clusters/staging-eu/workloads").json()["items"]
    assert [(w["name"], w["entityRef"]) for w in workloads if w["source"] == "argocd"] == [("unowned", None)]
    APPLICATIONS.pop(0)  # deleted in Argo CD: gone here too
    assert portal.run_task("deployments.argocd") == "succeeded"
    assert client.get(LEDGER).json()["items"] == []


def record(portal: Portal, body: dict[str, Any]) -> None:
    response = httpx.post(
        f"{portal.url}/api/change-events", json=body, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
    )
    assert response.status_code == 201, response.text


def test_a_deployment_event_places_a_version_where_no_poller_reaches(portal: Portal, client: httpx.Client) -> None:
    moment = portal.clock() - 600
    record(
        portal,
        {
            "type": "deployment",
            "id": "d1",
            "title": "Deploy 1.4.2",
            "entityRefs": ["component:default/payments-api"],
            "time": iso(moment),
            "environment": "production",
            "market": "us",
            "version": "1.4.2",
            "actor": "octocat",
            "attributes": {"status": "success"},
        },
    )
    record(
        portal,
        {
            "type": "deployment",
            "id": "d0",
            "title": "Deploy 1.4.1 (late delivery)",
            "entityRefs": ["component:default/payments-api"],
            "time": iso(moment - 3600),
            "environment": "production",
            "market": "us",
            "version": "1.4.1",
            "actor": "octocat",
        },
    )
    record(
        portal,
        {
            "type": "deployment",
            "id": "d2",
            "title": "Deploy 1.6.0: failure",
            "entityRefs": ["component:default/payments-api"],
            "time": iso(moment + 60),
            "environment": "production",
            "market": "us",
            "version": "1.6.0",
            "attributes": {"status": "failure"},
        },
    )
    found = {item["cluster"]: item for item in client.get(PAYMENTS).json()["items"]}
    item = found["lambda-us"]
    assert item["source"] == "change-events" and item["version"] == "1.4.2" and item["deployedBy"] == "octocat"
    assert item["url"] == ""  # the event had no web address
    assert item["market"] == "us" and item["stale"] is False and item["replicas"] is None


def test_a_deployment_event_names_who_deployed_what_a_cluster_runs(portal: Portal, client: httpx.Client) -> None:
    assert portal.run_task("deployments.kubernetes") == "succeeded"
    record(
        portal,
        {
            "type": "deployment",
            "id": "d1",
            "title": "Deploy 1.4.2",
            "entityRefs": ["component:default/payments-api"],
            "time": iso(portal.clock() - 60),
            "environment": "production",
            "cluster": "prod-eu",
            "version": "1.4.2",
            "actor": "mona",
        },
    )
    found = {item["cluster"]: item for item in client.get(PAYMENTS).json()["items"]}
    assert set(found) == {"prod-eu", "staging-eu"}  # the event joined the cluster's row, it is not a row of its own
    assert found["prod-eu"]["source"] == "kubernetes" and found["prod-eu"]["deployedBy"] == "mona"
    assert found["prod-eu"]["deployedAt"] == iso(portal.clock() - 60)


def test_a_refused_argo_cd_token_is_reported(portal: Portal, client: httpx.Client) -> None:
    assert portal.run_task("deployments.argocd") == "succeeded"
    ACCEPTED["token"] = "rotated"
    try:
        outcome = portal.run_task("deployments.argocd")
    finally:
        ACCEPTED["token"] = TOKEN
    assert outcome.startswith("failed") and "Argo CD answered 401" in outcome
    clusters = {item["name"]: item for item in client.get("/api/deployments/clusters").json()["items"]}
    assert "401" in (clusters["prod-eu"]["error"] or "")
    portal.clock.advance(16 * 60)
    [item] = client.get(LEDGER).json()["items"]
    assert item["stale"] is True and "Argo CD answered 401" in item["staleReason"]
