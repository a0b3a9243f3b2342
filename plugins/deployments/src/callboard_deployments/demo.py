"""The demo fleet: three environments by three markets of stand-in Kubernetes clusters running the demo catalog's
services (one market of production a version behind), dashboards and logs to link to, and golden signals from a
real Prometheus when one is installed (else from a Prometheus-shaped stand-in).

Every couple of minutes a new version rolls through dev, so the Deployments tab visibly changes while you look.
"""

from __future__ import annotations

import logging
import random
import socket
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callboard_deployments.matching import KUBERNETES_ID
from callboard_deployments.settings import Cluster, ClusterLocator, Link, Settings
from callboard_deployments.standins.kubernetes import FakeCluster, KubernetesStandIn, deployment
from callboard_deployments.standins.observability import ObservabilityStandIn, RealPrometheus, Traffic

ENVIRONMENTS = ("dev", "staging", "production")
MARKETS = ("eu-west-1", "us-east-1", "ap-southeast-1")
SHORT = {"dev": "dev", "staging": "stg", "production": "prod"}
#: The drifted market: production in apac still runs the previous version of this service.
DRIFTED = ("booking-service", "production", "ap-southeast-1")
TROUBLED = (("tracking-service", "staging"),)
NAMESPACE = "northwind"
SCRAPED_BEFORE_USE = 180.0
#: Grafana Explore with a Loki query for the workload, and a dashboard with the place's variables.
LOGS_QUERY = (
    'left={"datasource":"loki","queries":[{"expr":"{app=\\"${{ entity.metadata.name }}\\",'
    'cluster=\\"${{ cluster }}\\"}"}],"range":{"from":"${{ from }}","to":"${{ to }}"}}'
)
DASHBOARD_QUERY = "var-cluster=${{ cluster }}&var-namespace=${{ namespace }}&from=${{ from }}&to=${{ to }}"

log = logging.getLogger(__name__)


@dataclass
class Fleet:
    kubernetes: KubernetesStandIn
    observability: ObservabilityStandIn
    prometheus_url: str
    prometheus: RealPrometheus | None = None
    seeded: bool = False
    rollouts: int = 0
    versions: dict[str, list[int]] = field(default_factory=dict)

    def cluster(self, environment: str, market: str) -> FakeCluster:
        return self.kubernetes.clusters[cluster_name(environment, market)]

    def stop(self) -> None:
        if self.prometheus is not None:
            self.prometheus.stop()
        self.kubernetes.stop()
        self.observability.stop()


def cluster_name(environment: str, market: str) -> str:
    return f"{SHORT[environment]}-{market}"


def start(settings: Settings) -> Fleet:
    """Start the stand-ins and point the settings at them (clusters, links, Grafana, signals)."""
    kubernetes = KubernetesStandIn().start()
    for environment in ENVIRONMENTS:
        for market in MARKETS:
            kubernetes.add(cluster_name(environment, market))
    observability = ObservabilityStandIn(Traffic([], ENVIRONMENTS, TROUBLED)).start()
    fleet = Fleet(kubernetes, observability, f"{observability.url}/prometheus")
    if RealPrometheus.available():
        folder = Path(tempfile.mkdtemp(prefix="callboard-demo-prometheus-"))
        fleet.prometheus = RealPrometheus(
            [observability.url.removeprefix("http://")], folder, _free_port(), interval=5.0
        )
        threading.Thread(target=_use_when_ready, args=(fleet,), name="demo-prometheus", daemon=True).start()
    configure(settings, fleet)
    return fleet


def _use_when_ready(fleet: Fleet) -> None:
    assert fleet.prometheus is not None
    try:
        fleet.prometheus.wait_ready(60)
        # Prometheus keeps what it scrapes from now on: the stand-in's series draw the sparklines until it has
        # a few minutes of its own.
        time.sleep(SCRAPED_BEFORE_USE)
        fleet.prometheus_url = fleet.prometheus.url
        log.info("deployments demo: golden signals from Prometheus on %s", fleet.prometheus.url)
    except Exception as error:
        log.warning("deployments demo: Prometheus did not start (%s); using the stand-in's series", error)


def configure(settings: Settings, fleet: Fleet) -> None:
    clusters = [
        Cluster.model_validate(
            {
                "name": cluster_name(environment, market),
                "url": fleet.kubernetes.url_of(cluster_name(environment, market)),
                "authProvider": "none",
                "environment": environment,
                "market": market,
            }
        )
        for environment in ENVIRONMENTS
        for market in MARKETS
    ]
    settings.kubernetes.cluster_locator_methods = [ClusterLocator(type="config", clusters=clusters)]
    settings.environments = list(ENVIRONMENTS)
    settings.markets = list(MARKETS)
    grafana = f"{fleet.observability.url}/grafana"
    if not settings.links:
        settings.links = [
            Link(title="Logs", kind="logs", url=grafana + "/explore?" + LOGS_QUERY),
            Link(
                title="Dashboard",
                kind="dashboard",
                url=grafana + "/d/${{ entity.metadata.name }}-overview/overview?" + DASHBOARD_QUERY,
            ),
        ]
    if settings.grafana.integration is None:
        settings.grafana.integration, settings.grafana.url = "demo-grafana", grafana
    if not settings.signals.templates():
        where = 'service="${{ entity.metadata.name }}",environment="${{ environment }}"'
        settings.signals.request_rate = f"sum(rate(http_requests_total{{{where}}}[1m]))"
        settings.signals.error_ratio = (
            f'sum(rate(http_requests_total{{{where},code=~"5.."}}[1m])) / sum(rate(http_requests_total{{{where}}}[1m]))'
        )
        settings.signals.latency_p95 = (
            f"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{{where}}}[1m])))"
        )
        settings.signals.integration = "demo-prometheus"
        settings.signals.window_minutes = 15


def step(fleet: Fleet, components: list[Mapping[str, Any]]) -> str:
    """Seed the clusters once the catalog has the demo's services; after that, roll a new version through dev."""
    services = sorted(
        str(entity["metadata"]["annotations"][KUBERNETES_ID])
        for entity in components
        if (entity.get("metadata", {}).get("annotations") or {}).get(KUBERNETES_ID)
    )
    if not services:
        return "waiting for the catalog"
    if not fleet.seeded:
        _seed(fleet, services)
        fleet.seeded = True
        return f"{len(services)} services deployed to {len(ENVIRONMENTS) * len(MARKETS)} clusters"
    chance = random.Random(fleet.rollouts)
    service = chance.choice(services)
    fleet.rollouts += 1
    version = fleet.versions[service]
    version[2] += 1
    tag = ".".join(map(str, version))
    for market in MARKETS:
        fleet.cluster("dev", market).patch(
            "deployments",
            NAMESPACE,
            service,
            {
                "metadata": {"labels": {"app.kubernetes.io/version": tag}},
                "spec": {
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/version": tag}},
                        "spec": {
                            "containers": [{"name": service, "image": f"registry.northwind.example/{service}:{tag}"}]
                        },
                    }
                },
            },
        )
    return f"{service} {tag} rolled out to dev"


def _seed(fleet: Fleet, services: list[str]) -> None:
    fleet.observability.traffic.services = services
    chance = random.Random(11)
    for service in services:
        production = [chance.randint(1, 3), chance.randint(0, 12), chance.randint(0, 9)]
        staging = [production[0], production[1], production[2] + 1]
        dev = [production[0], production[1] + 1, 0]
        fleet.versions[service] = dev
        for environment, version in (("production", production), ("staging", staging), ("dev", dev)):
            for market in MARKETS:
                tag = ".".join(map(str, version))
                if (service, environment, market) == DRIFTED:
                    tag = ".".join(map(str, [production[0], production[1], max(0, production[2] - 1)])) + "-rc1"
                replicas = {"dev": 1, "staging": 2, "production": 4}[environment]
                ready = replicas - 1 if (service, environment) in TROUBLED and market == "us-east-1" else replicas
                fleet.cluster(environment, market).apply(
                    "deployments",
                    deployment(
                        service,
                        tag,
                        namespace=NAMESPACE,
                        replicas=replicas,
                        ready=ready,
                        kubernetes_id=service,
                        image=f"registry.northwind.example/{service}:{tag}",
                    ),
                )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
