"""Clusters reached the ways Backstage's adopters reach them: a service account token (the other tests), and a
kubeconfig file's context, as `kubectl` would use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from callboard.sdk.testing import Portal
from callboard_deployments.standins.kubernetes import KubernetesStandIn
from tests.conftest import TOKEN


@pytest.fixture
def callboard_config(catalog_file: Path, kubernetes: KubernetesStandIn, tmp_path: Path) -> dict[str, Any]:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "prod", "cluster": {"server": kubernetes.url_of("prod-eu")}}],
                "users": [{"name": "callboard", "user": {"token": TOKEN}}],
                "contexts": [
                    {"name": "elsewhere", "context": {"cluster": "prod", "user": "nobody"}},
                    {"name": "prod-eu", "context": {"cluster": "prod", "user": "callboard"}},
                ],
                "current-context": "elsewhere",
            }
        )
    )
    cluster = {"name": "prod-eu", "authProvider": "kubeconfig", "kubeconfig": str(kubeconfig), "context": "prod-eu"}
    return {
        "catalog": {
            "rules": [{"allow": ["Component", "System", "Group", "Location"]}],
            "locations": [{"type": "file", "target": str(catalog_file)}],
        },
        "kubernetes": {
            "clusterLocatorMethods": [
                {"type": "config", "clusters": [cluster | {"environment": "production", "market": "eu"}]}
            ]
        },
        "deployments": {"watch": {"runMinutes": 1 / 60, "watchSeconds": 1}},
    }


def test_a_kubeconfig_context_reaches_its_cluster_with_its_token(
    portal: Portal, client: httpx.Client, kubernetes: KubernetesStandIn
) -> None:
    portal.process_catalog()
    assert portal.run_task("deployments.kubernetes") == "succeeded"
    [item] = client.get("/api/deployments/entities/component/default/payments-api").json()["items"]
    assert item["cluster"] == "prod-eu" and item["version"] == "1.4.2" and item["stale"] is False
    clusters = {entry["name"]: entry for entry in client.get("/api/deployments/clusters").json()["items"]}
    assert clusters["prod-eu"]["error"] is None


def test_a_cluster_without_a_url_or_kubeconfig_is_refused_at_start_up() -> None:
    from callboard_deployments.settings import Settings

    with pytest.raises(ValueError, match="needs a url"):
        Settings.model_validate(
            {
                "kubernetes": {
                    "clusterLocatorMethods": [{"clusters": [{"name": "x", "environment": "dev", "market": "eu"}]}]
                }
            }
        )
    with pytest.raises(ValueError, match=r"not one of deployments\.environments"):
        Settings.model_validate(
            {
                "kubernetes": {
                    "clusterLocatorMethods": [
                        {"clusters": [{"name": "x", "url": "https://k", "environment": "prod", "market": "eu"}]}
                    ]
                }
            }
        )
