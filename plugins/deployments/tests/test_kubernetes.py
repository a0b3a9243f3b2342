"""Kubernetes through the official client against a stand-in API server: list once, then watch; versions,
replicas and health per cluster, matched to entities as Backstage's Kubernetes plugin matches them."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import pytest

import callboard_deployments
from callboard.sdk.testing import Portal
from callboard_deployments.standins.kubernetes import KubernetesStandIn, deployment
from tests.conftest import Watching, eventually, prod

TASK = "deployments.kubernetes"
PAYMENTS = "/api/deployments/entities/component/default/payments-api"
LEDGER = "/api/deployments/entities/component/default/ledger"


@pytest.fixture(autouse=True)
def catalog(portal: Portal) -> None:
    portal.process_catalog()


def by_cluster(client: httpx.Client, path: str) -> dict[str, dict[str, object]]:
    return {item["cluster"]: item for item in client.get(path).json()["items"]}


def test_versions_per_cluster_with_replicas_health_and_source(portal: Portal, client: httpx.Client) -> None:
    assert portal.run_task(TASK) == "succeeded"
    found = by_cluster(client, PAYMENTS)
    assert set(found) == {"prod-eu", "staging-eu"}
    production = found["prod-eu"]
    assert production["environment"] == "production" and production["market"] == "eu"
    assert production["version"] == "1.4.2" and production["replicas"] == 3 and production["ready"] == 3
    assert production["health"] == "Healthy" and production["source"] == "kubernetes" and production["stale"] is False
    assert production["namespace"] == "payments" and production["kind"] == "Deployment"
    assert found["staging-eu"]["version"] == "1.5.0"
    # staging runs another version than production: marked, but it is not drift within staging
    assert found["staging-eu"]["differsFromProduction"] is True and found["staging-eu"]["drift"] is False


def test_a_change_in_the_cluster_shows_within_seconds_without_listing_again(
    portal: Portal, client: httpx.Client, kubernetes: KubernetesStandIn
) -> None:
    assert portal.run_task(TASK) == "succeeded"
    lists_before = [request for request in prod(kubernetes).requests if "watch=" not in request]
    with Watching(lambda: portal.run_task(TASK)):
        prod(kubernetes).apply(
            "deployments",
            deployment("payments-api", "1.5.0", namespace="payments", kubernetes_id="payments-api", ready=1),
        )
        moved = eventually(lambda: by_cluster(client, PAYMENTS)["prod-eu"]["version"] == "1.5.0")
        assert moved, "the new version did not show within 15 s"
        item = by_cluster(client, PAYMENTS)["prod-eu"]
        assert item["ready"] == 1 and item["health"] == "Progressing"
        prod(kubernetes).delete("deployments", "payments", "payments-api")
        assert eventually(lambda: "prod-eu" not in by_cluster(client, PAYMENTS))
    lists_after = [request for request in prod(kubernetes).requests if "watch=" not in request]
    assert lists_after == lists_before, "a running watch resumed from its resourceVersion: no list again"
    history = client.get(f"{PAYMENTS}/history", params={"cluster": "prod-eu"}).json()["items"]
    assert [entry["version"] for entry in history] == ["1.5.0", "1.4.2"]


def test_an_expired_resource_version_lists_again(
    portal: Portal, client: httpx.Client, kubernetes: KubernetesStandIn
) -> None:
    assert portal.run_task(TASK) == "succeeded"
    cluster = prod(kubernetes)
    cluster.log.clear()  # the API server compacted its history: the stored resourceVersion is gone
    cluster.apply(
        "deployments", deployment("payments-api", "1.6.0", namespace="payments", kubernetes_id="payments-api")
    )
    cluster.log.clear()
    lists = len([request for request in cluster.requests if "watch=" not in request])
    assert portal.run_task(TASK) == "succeeded"
    assert len([request for request in cluster.requests if "watch=" not in request]) > lists
    assert by_cluster(client, PAYMENTS)["prod-eu"]["version"] == "1.6.0"


def test_label_selector_and_namespace_annotations_match_as_backstage_does(
    portal: Portal, client: httpx.Client, kubernetes: KubernetesStandIn
) -> None:
    labels = {"app.kubernetes.io/part-of": "ledger", "tier": "api"}
    cluster = prod(kubernetes)
    cluster.apply("deployments", deployment("ledger-api", "3.1.0", namespace="money", labels=labels))
    cluster.apply("statefulsets", deployment("ledger-db", "15.4", namespace="money", labels={**labels, "tier": "db"}))
    cluster.apply("deployments", deployment("ledger-api", "9.9.9", namespace="elsewhere", labels=labels))
    worker = deployment("ledger-worker", "3.1.0", namespace="money", labels={**labels, "tier": "worker"})
    worker["spec"]["template"]["metadata"]["labels"].pop("app.kubernetes.io/version")
    worker["metadata"]["labels"].pop("app.kubernetes.io/version")
    worker["spec"]["template"]["spec"]["containers"][0]["image"] = (
        "registry.example.com/ledger-worker@sha256:" + "ab" * 32
    )
    cluster.apply("daemonsets", worker)
    assert portal.run_task(TASK) == "succeeded"
    found = {item["name"]: item for item in client.get(LEDGER).json()["items"]}
    assert set(found) == {"ledger-api", "ledger-worker"}  # not the db tier, not another namespace
    assert found["ledger-api"]["namespace"] == "money"
    assert found["ledger-worker"]["kind"] == "DaemonSet"
    assert found["ledger-worker"]["version"] == "sha256:" + "ab" * 6  # no version label: the image digest


def test_cronjobs_are_versions_too(portal: Portal, client: httpx.Client, kubernetes: KubernetesStandIn) -> None:
    job = {
        "metadata": {
            "name": "payments-api-reconcile",
            "namespace": "payments",
            "labels": {"backstage.io/kubernetes-id": "payments-api"},
        },
        "spec": {
            "schedule": "*/5 * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [{"name": "reconcile", "image": "registry.example.com/payments-api:1.4.1"}]
                        }
                    }
                }
            },
        },
        "status": {"lastScheduleTime": "2026-01-01T00:00:00Z", "lastSuccessfulTime": "2026-01-01T00:00:30Z"},
    }
    prod(kubernetes).apply("cronjobs", job)
    assert portal.run_task(TASK) == "succeeded"
    found = {item["name"]: item for item in client.get(PAYMENTS).json()["items"] if item["cluster"] == "prod-eu"}
    assert found["payments-api-reconcile"]["kind"] == "CronJob"
    assert (
        found["payments-api-reconcile"]["version"] == "1.4.1" and found["payments-api-reconcile"]["health"] == "Healthy"
    )


def test_drift_between_markets_of_one_environment(portal: Portal, client: httpx.Client) -> None:
    # Two more production markets, reported by another plugin on the event bus (its own source).
    events = portal.runtime.events
    for name, version in (("prod-us", "1.4.2"), ("prod-us-2", "1.3.9")):
        events.publish(
            "deployments.observed",
            {
                "source": "fleet-api",
                "place": name,
                "environment": "production",
                "market": "us",
                "complete": True,
                "items": [
                    {
                        "entityRef": "component:default/payments-api",
                        "version": version,
                        "name": "payments-api",
                        "namespace": "payments",
                        "kind": "Deployment",
                        "health": "Healthy",
                        "url": "javascript:alert(1)",  # only web addresses become links
                    }
                ],
            },
        )
    assert portal.run_task(TASK) == "succeeded"
    found = eventually(lambda: len(by_cluster(client, PAYMENTS)) == 4 and by_cluster(client, PAYMENTS))
    assert found, by_cluster(client, PAYMENTS)
    assert found["prod-us-2"]["drift"] is True and found["prod-us-2"]["source"] == "fleet-api"
    assert found["prod-us-2"]["environment"] == "production" and found["prod-us-2"]["market"] == "us"
    assert found["prod-us-2"]["url"] == ""
    assert found["prod-us"]["drift"] is False and found["prod-eu"]["drift"] is False


def test_a_cluster_that_refuses_is_reported_and_its_workloads_turn_stale(
    portal: Portal, client: httpx.Client, kubernetes: KubernetesStandIn
) -> None:
    assert portal.run_task(TASK) == "succeeded"
    prod(kubernetes).token = "rotated-token"  # the configured token no longer works
    portal.clock.advance(16 * 60)
    assert portal.run_task(TASK) == "succeeded"
    clusters = {item["name"]: item for item in client.get("/api/deployments/clusters").json()["items"]}
    assert "401" in (clusters["prod-eu"]["error"] or "")
    assert clusters["staging-eu"]["error"] is None
    found = by_cluster(client, PAYMENTS)
    assert found["prod-eu"]["stale"] is True and "401" in found["prod-eu"]["staleReason"]
    assert found["staging-eu"]["stale"] is False


def test_workloads_by_cluster_include_unmatched_ones(
    portal: Portal, client: httpx.Client, kubernetes: KubernetesStandIn
) -> None:
    prod(kubernetes).apply("deployments", deployment("orphan", "0.1.0", namespace="misc"))
    assert portal.run_task(TASK) == "succeeded"
    found = {item["name"]: item for item in client.get("/api/deployments/clusters/prod-eu/workloads").json()["items"]}
    assert (
        found["orphan"]["entityRef"] is None and found["payments-api"]["entityRef"] == "component:default/payments-api"
    )
    assert client.get("/api/deployments/clusters/nowhere/workloads").status_code == 404


def test_a_workload_is_matched_once_its_entity_appears_in_the_catalog(
    portal: Portal, client: httpx.Client, kubernetes: KubernetesStandIn, catalog_file: Path
) -> None:
    prod(kubernetes).apply("deployments", deployment("billing", "2.0.0", namespace="billing", kubernetes_id="billing"))
    assert portal.run_task(TASK) == "succeeded"
    found = {item["name"]: item for item in client.get("/api/deployments/clusters/prod-eu/workloads").json()["items"]}
    assert found["billing"]["entityRef"] is None
    catalog_file.write_text(
        catalog_file.read_text()
        + "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: billing\n  annotations:\n"
        + "    backstage.io/kubernetes-id: billing\nspec: {type: service, lifecycle: production, owner: payments}\n"
    )
    refreshed = client.post("/api/catalog/refresh", json={"entityRef": "component:default/payments-api"})
    assert refreshed.status_code == 200, refreshed.text  # and so the location that holds it is read again
    portal.process_catalog()
    assert portal.run_task("deployments.rematch") == "succeeded"
    [item] = client.get("/api/deployments/entities/component/default/billing").json()["items"]
    assert item["version"] == "2.0.0" and item["cluster"] == "prod-eu"


def test_a_label_selector_that_does_not_parse_is_said_on_the_tab(portal: Portal, client: httpx.Client) -> None:
    assert portal.run_task(TASK) == "succeeded"
    page = client.get("/catalog/default/component/broken-selector/deployments")
    assert page.status_code == 200
    assert "backstage.io/kubernetes-label-selector annotation matches nothing" in page.text
    assert "tier in (api" in page.text


def test_stopping_the_portal_ends_open_watches_without_taking_it_for_a_cluster_error(
    portal: Portal, client: httpx.Client, kubernetes: KubernetesStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    assert portal.run_task(TASK) == "succeeded"  # listed once: the next runs watch
    service = callboard_deployments.state.service
    assert service is not None
    with caplog.at_level(logging.INFO, logger="callboard_deployments"), Watching(lambda: portal.run_task(TASK)):
        watching = eventually(lambda: all(any("watch=" in r for r in c.requests) for c in kubernetes.clusters.values()))
        assert watching, "the watches did not open"
        time.sleep(0.3)  # let the watch responses start streaming
        service.stop()  # what the plugin's shutdown hook does when the portal stops
    clusters = {item["name"]: item for item in client.get("/api/deployments/clusters").json()["items"]}
    assert {name: item["error"] for name, item in clusters.items()} == {"prod-eu": None, "staging-eu": None}
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
