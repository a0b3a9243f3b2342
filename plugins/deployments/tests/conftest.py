from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import callboard_deployments
from callboard_deployments.standins.kubernetes import FakeCluster, KubernetesStandIn, deployment

pytest_plugins = ["callboard.sdk.testing"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "signals(changes): this test's own signal queries or Grafana settings")


TOKEN = "kubernetes-service-account-token-for-tests"

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: ledger-team}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: checkout}
spec: {owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  annotations:
    backstage.io/kubernetes-id: payments-api
spec: {type: service, lifecycle: production, owner: payments, system: checkout}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger
  annotations:
    backstage.io/kubernetes-label-selector: 'app.kubernetes.io/part-of=ledger,tier in (api, worker)'
    backstage.io/kubernetes-namespace: money
    argocd/app-name: ledger-prod-eu
spec: {type: service, lifecycle: production, owner: ledger-team}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: broken-selector
  annotations:
    backstage.io/kubernetes-label-selector: 'tier in (api'
spec: {type: service, lifecycle: experimental, owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-web
  annotations:
    grafana/dashboard-selector: "tags @> 'checkout'"
spec: {type: website, lifecycle: production, owner: payments, system: checkout}
"""


@pytest.fixture
def callboard_plugins() -> dict[str, ModuleType]:
    return {"deployments": callboard_deployments}


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalog" / "catalog-info.yaml"
    path.parent.mkdir()
    path.write_text(CATALOG)
    return path


@pytest.fixture
def kubernetes() -> Iterator[KubernetesStandIn]:
    """Two clusters: production in eu (with a service account token) and staging in eu."""
    with KubernetesStandIn() as standin:
        prod = standin.add("prod-eu", token=TOKEN)
        staging = standin.add("staging-eu")
        prod.apply(
            "deployments", deployment("payments-api", "1.4.2", namespace="payments", kubernetes_id="payments-api")
        )
        staging.apply(
            "deployments",
            deployment("payments-api", "1.5.0", namespace="payments", kubernetes_id="payments-api", replicas=2),
        )
        yield standin


def cluster_config(standin: KubernetesStandIn) -> dict[str, Any]:
    return {
        "clusterLocatorMethods": [
            {
                "type": "config",
                "clusters": [
                    {
                        "name": "prod-eu",
                        "url": standin.url_of("prod-eu"),
                        "authProvider": "serviceAccount",
                        "serviceAccountToken": TOKEN,
                        "skipTLSVerify": True,
                        "environment": "production",
                        "market": "eu",
                    },
                    {
                        "name": "staging-eu",
                        "url": standin.url_of("staging-eu"),
                        "authProvider": "none",
                        "environment": "staging",
                        "market": "eu",
                    },
                ],
            }
        ]
    }


@pytest.fixture
def callboard_config(catalog_file: Path, kubernetes: KubernetesStandIn) -> dict[str, Any]:
    return {
        "catalog": {
            "rules": [{"allow": ["Component", "System", "Group", "Location", "Resource"]}],
            "locations": [{"type": "file", "target": str(catalog_file)}],
        },
        "kubernetes": cluster_config(kubernetes),
        # A run of the watching task lasts 2 s here (10 minutes in production), each watch request 1 s.
        "deployments": {"watch": {"runMinutes": 2 / 60, "watchSeconds": 1}, "markets": ["eu", "us"]},
    }


def eventually(check: Callable[[], Any], seconds: float = 15.0) -> Any:
    """Poll ``check`` until it returns something truthy (what a watching page sees within seconds)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


class Watching:
    """The kubernetes task run over and over in the background, as the scheduler runs it in a portal."""

    def __init__(self, run: Callable[[], str]) -> None:
        self._run = run
        self._stop = threading.Event()
        self.outcomes: list[str] = []
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.outcomes.append(self._run())

    def __enter__(self) -> Watching:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


def prod(standin: KubernetesStandIn) -> FakeCluster:
    return standin.clusters["prod-eu"]
