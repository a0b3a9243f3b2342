"""The plugin's configuration: Backstage's ``kubernetes`` key for clusters (two keys added per cluster,
``environment`` and ``market``) and our own ``deployments`` key for everything else."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

SECRETS: tuple[str, ...] = ()
WorkloadKind = Literal["deployments", "statefulsets", "daemonsets", "cronjobs"]
WORKLOAD_KINDS: tuple[WorkloadKind, ...] = ("deployments", "statefulsets", "daemonsets", "cronjobs")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Cluster(BaseModel):
    """One entry of ``kubernetes.clusterLocatorMethods[].clusters``, Backstage's keys plus ours."""

    # Backstage's cluster entries carry more keys than we read (dashboardUrl, skipMetricsLookup...): kept, unused.
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: str = Field(min_length=1, max_length=120)
    url: str | None = Field(None, description="The API server, e.g. https://10.0.0.1:6443")
    auth_provider: Literal["serviceAccount", "kubeconfig", "inCluster", "none"] = Field(
        "serviceAccount", alias="authProvider"
    )
    service_account_token: str | None = Field(None, alias="serviceAccountToken")
    skip_tls_verify: bool = Field(False, alias="skipTLSVerify")
    ca_data: str | None = Field(None, alias="caData", description="Base64 PEM of the API server's CA")
    ca_file: str | None = Field(None, alias="caFile")
    kubeconfig: str | None = Field(None, description="With authProvider kubeconfig: the file (else ~/.kube/config)")
    context: str | None = Field(None, description="With authProvider kubeconfig: the context (else the current)")
    environment: str = Field(min_length=1, max_length=60)
    market: str = Field(min_length=1, max_length=60)

    @model_validator(mode="after")
    def _reachable(self) -> Cluster:
        if self.auth_provider in ("serviceAccount", "none") and not self.url:
            raise ValueError(f"cluster {self.name!r} needs a url (its API server, e.g. https://10.0.0.1:6443)")
        return self


class ClusterLocator(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = "config"
    clusters: list[Cluster] = Field(default_factory=list)


class Kubernetes(BaseModel):
    """Backstage's ``kubernetes`` key; we read ``clusterLocatorMethods`` of ``type: config``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    cluster_locator_methods: list[ClusterLocator] = Field(default_factory=list, alias="clusterLocatorMethods")

    def clusters(self) -> list[Cluster]:
        return [
            cluster for method in self.cluster_locator_methods if method.type == "config" for cluster in method.clusters
        ]


class Watching(_Model):
    kinds: list[WorkloadKind] = Field(default_factory=lambda: list(WORKLOAD_KINDS))
    #: How long one watch request stays open before it is renewed from the last resourceVersion.
    watch_seconds: int = Field(240, ge=1, le=3600, alias="watchSeconds")
    page_size: int = Field(500, ge=1, le=5000, alias="pageSize")
    #: How long one run of the task keeps watching before it returns (the next run resumes, no re-list).
    run_minutes: float = Field(10.0, gt=0, le=120, alias="runMinutes")


class ArgoCd(_Model):
    #: The integration (``integrations.argocd[].host``, ``apiBaseUrl``, ``token``) whose Argo CD is read.
    integration: str = "argocd"
    every_seconds: float = Field(60.0, ge=5, alias="everySeconds")
    #: Argo CD's destination cluster names or server URLs to the Kubernetes cluster names above, where they differ.
    clusters: dict[str, str] = Field(default_factory=dict)


class Target(_Model):
    """A place without a cluster (serverless, VMs, app stores) that deployment change events may name."""

    name: str = Field(min_length=1, max_length=120)
    environment: str = Field(min_length=1, max_length=60)
    market: str = Field(min_length=1, max_length=60)


class Link(_Model):
    """A link computed per entity and place: ``${{ entity.metadata.name }}``, ``${{ namespace }}``,
    ``${{ cluster }}``, ``${{ environment }}``, ``${{ market }}``, ``${{ version }}``, ``${{ from }}`` and
    ``${{ to }}`` (epoch milliseconds), ``${{ fromIso }}``, ``${{ toIso }}``."""

    title: str = Field(min_length=1, max_length=80)
    url: str = Field(min_length=1, max_length=2000)
    kind: Literal["logs", "dashboard", "traces", "alerts", "other"] = "dashboard"
    #: Only for these environments (all when empty).
    environments: list[str] = Field(default_factory=list)


class Grafana(_Model):
    """Grafana's dashboard search: dashboards tagged with the entity's name (or its ``grafana/dashboard-selector``
    tag), as Backstage's Grafana plugin finds them, read through an integration (``integrations.grafana``:
    ``host``, ``apiBaseUrl``, ``token``)."""

    integration: str | None = Field(None, description="The integration Grafana is read through, e.g. grafana")
    url: str | None = Field(None, description="Grafana's address as people open it (else the integration's)")
    cache_seconds: float = Field(300.0, ge=0, alias="cacheSeconds")


class Signals(_Model):
    """PromQL templates for the golden signals; ``${{ name }}``, ``${{ namespace }}``, ``${{ environment }}``."""

    integration: str = Field("prometheus", description="integrations.prometheus[].host, apiBaseUrl and token")
    request_rate: str | None = Field(None, alias="requestRate")
    error_ratio: str | None = Field(None, alias="errorRatio")
    latency_p95: str | None = Field(None, alias="latencyP95")
    window_minutes: int = Field(60, ge=5, le=1440, alias="windowMinutes")
    points: int = Field(30, ge=2, le=240)
    #: Error ratio above which a cell is red; half of it is amber.
    error_threshold: float = Field(0.05, ge=0, le=1, alias="errorThreshold")
    cache_seconds: float = Field(30.0, ge=0, alias="cacheSeconds")

    def templates(self) -> dict[str, str]:
        found = {"requestRate": self.request_rate, "errorRatio": self.error_ratio, "latencyP95": self.latency_p95}
        return {name: query for name, query in found.items() if query}


class Settings(_Model):
    kubernetes: Kubernetes = Field(default_factory=lambda: Kubernetes.model_validate({}))
    environments: list[str] = Field(
        default_factory=lambda: ["dev", "staging", "production"],
        description="In the order of a release; the last is the one others are compared with",
    )
    production: str | None = Field(None, description="The environment others are compared with (else the last)")
    markets: list[str] = Field(default_factory=list, description="Their order on the page (else alphabetical)")
    stale_after_minutes: float = Field(15.0, gt=0, alias="staleAfterMinutes")
    event_stale_after_days: float = Field(30.0, gt=0, alias="eventStaleAfterDays")
    watching: Watching = Field(
        default_factory=lambda: Watching.model_validate({}), validation_alias=AliasChoices("watching", "watch")
    )
    argocd: ArgoCd | None = None
    targets: list[Target] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    grafana: Grafana = Field(default_factory=lambda: Grafana.model_validate({}))
    signals: Signals = Field(default_factory=lambda: Signals.model_validate({}))
    history_per_cell: int = Field(50, ge=1, le=1000, alias="historyPerCell")
    demo: bool = False

    @property
    def reference_environment(self) -> str:
        return self.production or (self.environments[-1] if self.environments else "production")

    @model_validator(mode="after")
    def _known_places(self) -> Settings:
        seen: set[str] = set()
        places: list[Cluster | Target] = [*self.kubernetes.clusters(), *self.targets]
        for place in places:
            if place.name in seen:
                raise ValueError(f"cluster or target {place.name!r} is configured twice; names must be unique")
            seen.add(place.name)
            if self.environments and place.environment not in self.environments:
                raise ValueError(
                    f"{place.name!r} is in environment {place.environment!r}, which is not one of "
                    f"deployments.environments {self.environments}; add it there or fix the cluster's environment"
                )
        return self
