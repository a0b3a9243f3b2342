"""The plugin's working parts: where things run, the sources that report versions, and matching to entities."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from callboard.sdk import EntityRef, NotAllowedError, PluginContext, current_access
from callboard_deployments import argocd, kube, store
from callboard_deployments.matching import Matcher
from callboard_deployments.model import HEALTH, Observation, Place, parse_time
from callboard_deployments.permissions import READ
from callboard_deployments.settings import Cluster, Settings, Target

#: Published after each write that changed something: ``{"entityRefs": [...], "places": [...]}``.
CHANGED = "deployments.changed"
#: Another plugin reports versions by publishing ``{"source", "place", "items": [...], "complete": bool}``.
OBSERVED = "deployments.observed"
#: Change events that mean "this version is now deployed" (a GitHub deployment_status, an API call saying so).
SUCCEEDED = ("", "success", "succeeded", "successful", "completed", "deployed")
CLUSTER_TYPE = "kubernetes-cluster"
#: Database writes the Kubernetes watches make at once (below the connection pool's size).
WRITERS = 3

log = logging.getLogger(__name__)


class Deployments:
    def __init__(self, context: PluginContext) -> None:
        self.context = context
        self.matcher = Matcher(context.catalog)
        self.stopping = threading.Event()
        self.catalog_changed = threading.Event()
        self._catalog_places: dict[str, Place] | None = None
        self._watches: list[kube.ClusterWatch] = []

    @property
    def settings(self) -> Settings:
        settings: Settings = self.context.config
        return settings

    def require(self) -> None:
        decision = current_access().decide(READ)
        if not decision.allowed:
            raise NotAllowedError(f"{READ} is needed to see deployments ({decision.reason or 'denied by policy'})")

    # -- where things run ---------------------------------------------------------------------------

    def places(self) -> dict[str, Place]:
        """Configured clusters and targets, and clusters the catalog holds (Resources of type kubernetes-cluster
        with ``environment`` and ``market`` labels or annotations); configuration wins on a name."""
        found = dict(self._from_catalog())
        places: list[Cluster | Target] = [*self.settings.kubernetes.clusters(), *self.settings.targets]
        for place in places:
            found[place.name] = Place(place.name, place.environment, place.market)
        return found

    def _from_catalog(self) -> dict[str, Place]:
        if self._catalog_places is None:
            found: dict[str, Place] = {}
            for entity in self.context.catalog.find({"kind": "resource", "spec.type": CLUSTER_TYPE}, limit=5000):
                metadata = entity.get("metadata", {})
                tags = {**(metadata.get("labels") or {}), **(metadata.get("annotations") or {})}
                environment = tags.get("callboard.dev/environment") or tags.get("environment")
                market = tags.get("callboard.dev/market") or tags.get("market") or tags.get("region")
                if environment and market:
                    found[str(metadata["name"])] = Place(str(metadata["name"]), str(environment), str(market))
            self._catalog_places = found
        return self._catalog_places

    # -- writing ------------------------------------------------------------------------------------

    def record(
        self, observations: Sequence[Observation], complete: tuple[str, str, str | None] | None = None
    ) -> store.Written:
        written = store.record(
            self.context.database, observations, self.places(), self._resolve, self.context.now(), complete=complete
        )
        if written.any:
            refs = sorted({item.entity_ref or "" for item in observations} - {""})
            self._publish(sorted({item.place for item in observations}), refs)
        return written

    def _publish(self, places: list[str], refs: list[str]) -> None:
        """``running`` is what each of the places runs now, whole (every place's when ``places`` is empty)."""
        running = store.running_in(self.context.database, places or None)
        self.context.events.publish(CHANGED, {"places": places, "entityRefs": refs, "running": running})

    def remove(self, observation: Observation) -> None:
        if store.remove(self.context.database, observation.source, observation.place, observation.identity):
            self._publish([observation.place], [])

    def _resolve(self, observation: Observation) -> str | None:
        return self.matcher.entity_for(
            observation.source, observation.namespace, observation.name, observation.match_key, observation.labels
        )

    def rematch(self) -> int:
        """After catalog changes: match every workload again if what names entities changed."""
        if not self.catalog_changed.is_set():
            return 0
        self.catalog_changed.clear()
        self._catalog_places = None
        if not self.matcher.refresh():
            return 0
        changed = store.rematch(self.context.database, self.matcher.entity_for)
        if changed:
            log.info("deployments: %d workloads matched to different entities after catalog changes", changed)
            self._publish([], [])
        return changed

    # -- sources ------------------------------------------------------------------------------------

    def watch_kubernetes(self) -> int:
        """List then watch every configured cluster until the run's time is up; the next run resumes."""
        clusters = [
            cluster for cluster in self.settings.kubernetes.clusters() if cluster.url or cluster.auth_provider != "none"
        ]
        deadline = time.monotonic() + self.settings.watching.run_minutes * 60
        # Hundreds of watches share a few database connections: at most WRITERS write at once, the others wait
        # their turn instead of timing out on the connection pool.
        slots = threading.BoundedSemaphore(WRITERS)

        def one_at_a_time(write: Callable[..., object]) -> Callable[..., None]:
            def guarded(*arguments: Any, **keywords: Any) -> None:
                with slots:
                    write(*arguments, **keywords)

            return guarded

        progress = kube.Progress(
            lambda key: store.progress(self.context.database, key),
            one_at_a_time(
                lambda key, place, **values: store.contacted(
                    self.context.database, key, place, self.context.now(), **values
                )
            ),
        )
        record, remove = one_at_a_time(self.record), one_at_a_time(self.remove)
        threads = []
        watches: list[kube.ClusterWatch] = []
        for cluster in clusters:
            try:
                watch = kube.ClusterWatch(cluster, self.settings.watching, record, remove, progress)
            except Exception as error:  # a broken kubeconfig for one cluster leaves the others watched
                store.contacted(
                    self.context.database,
                    f"kubernetes:{cluster.name}",
                    cluster.name,
                    self.context.now(),
                    error=str(error)[:300],
                )
                continue
            self._watches.append(watch)
            watches.append(watch)
            thread = threading.Thread(
                target=watch.run, args=(deadline, self.stopping), name=f"cluster-{cluster.name}", daemon=True
            )
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
        self._watches = [watch for watch in self._watches if watch not in watches]
        return len(threads)

    def stop(self) -> None:
        self.stopping.set()
        for watch in list(self._watches):
            watch.interrupt()

    def on_change_events(self, payload: Mapping[str, Any]) -> int:
        """Deployment change events from the change-events plugin: the last successful deployment per entity
        and place, for targets no poller reaches (and who deployed what a cluster runs)."""
        observations = []
        places = self.places()
        for event in payload.get("events") or []:
            if not isinstance(event, Mapping) or event.get("type") != "deployment":
                continue
            if str(event.get("status") or "").lower() not in SUCCEEDED or not event.get("environment"):
                continue
            place = self._place_of(event, places)
            for ref in event.get("entityRefs") or []:
                observations.append(
                    Observation(
                        source="change-events",
                        place=place.name,
                        namespace="",
                        kind="DeploymentEvent",
                        name=str(ref),
                        version=str(event.get("version") or ""),
                        health="Unknown",
                        deployed_at=parse_time(event.get("time")),
                        deployed_by=str(event.get("actor") or ""),
                        url=str(event.get("url") or ""),
                        entity_ref=str(ref),
                        environment=place.environment,
                        market=place.market,
                    )
                )
        if observations:
            self.record(_newest(observations))
        return len(observations)

    def _place_of(self, event: Mapping[str, Any], places: Mapping[str, Place]) -> Place:
        cluster = str(event.get("cluster") or "")
        if cluster in places:
            return places[cluster]
        environment, market = str(event["environment"]), str(event.get("market") or "")
        for place in places.values():
            if place.environment == environment and place.market == market and place.name in self._target_names():
                return place
        return Place(cluster or (f"{environment}/{market}" if market else environment), environment, market)

    def _target_names(self) -> set[str]:
        return {target.name for target in self.settings.targets}

    def on_observed(self, payload: Mapping[str, Any]) -> int:
        """Versions another plugin reports on the event bus (``deployments.observed``): ``{"source", "place",
        "environment", "market" (for a place not configured here), "complete", "items": [{"entityRef" or
        "kubernetesId" and "labels", "name", "namespace", "kind", "version", "replicas", "ready", "health",
        "deployedAt", "deployedBy", "url"}]}``."""
        source, place = str(payload.get("source") or ""), str(payload.get("place") or "")
        if not source or not place or source in ("kubernetes", "argocd", "change-events"):
            log.warning("deployments: a deployments.observed message without its own source and place was ignored")
            return 0
        observations = [
            Observation(
                source=source,
                place=place,
                namespace=str(item.get("namespace") or ""),
                kind=str(item.get("kind") or "Workload"),
                name=str(item.get("name") or item.get("entityRef") or ""),
                version=str(item.get("version") or ""),
                replicas=item.get("replicas"),
                ready=item.get("ready"),
                health=str(item.get("health")) if item.get("health") in HEALTH else "Unknown",
                deployed_at=parse_time(item.get("deployedAt")),
                deployed_by=str(item.get("deployedBy") or ""),
                url=str(item.get("url") or ""),
                entity_ref=_ref(item.get("entityRef")),
                match_key=str(item.get("kubernetesId") or ""),
                labels={str(k): str(v) for k, v in (item.get("labels") or {}).items()},
                environment=str(payload.get("environment") or "") or None,
                market=str(payload.get("market") or "") or None,
            )
            for item in payload.get("items") or []
            if isinstance(item, Mapping)
        ]
        complete = (source, place, None) if payload.get("complete") else None
        self.record(observations, complete)
        store.contacted(self.context.database, f"{source}:{place}", place, self.context.now())
        return len(observations)


def _ref(value: Any) -> str | None:
    if not value:
        return None
    try:
        return EntityRef.parse(str(value)).key
    except Exception:
        return None


def _newest(observations: list[Observation]) -> list[Observation]:
    """One observation per entity and place: the latest deployment among those that arrived together."""
    newest: dict[tuple[str, str], Observation] = {}
    for observation in observations:
        key = (observation.place, observation.name)
        if key not in newest or (observation.deployed_at or 0) >= (newest[key].deployed_at or 0):
            newest[key] = observation
    return list(newest.values())


def poll_argocd(service: Deployments) -> int:
    """Every Argo CD application, placed on its destination cluster; applications gone since are removed."""
    settings = service.settings.argocd
    if settings is None:
        return 0
    places = service.places()
    urls = {cluster.url.rstrip("/"): cluster.name for cluster in service.settings.kubernetes.clusters() if cluster.url}
    key = f"argocd:{settings.integration}"
    with service.context.http_client(settings.integration) as http:
        response = http.get("/api/v1/applications")
        if response.status_code != 200:
            reason = f"Argo CD answered {response.status_code} to GET /api/v1/applications: {response.text[:200]}"
            now = service.context.now()
            for place in store.places_of(service.context.database, "argocd"):  # what it placed turns stale, with why
                store.contacted(service.context.database, f"{key}:{place}", place, now, error=reason)
            raise RuntimeError(reason)
        apps = response.json().get("items") or []
        base = str(http.base_url)
    by_place: dict[str, list[Observation]] = {
        place: [] for place in store.places_of(service.context.database, "argocd")
    }
    for app in apps:
        place = argocd.place_of(app, settings, places, urls)
        by_place.setdefault(place, []).append(argocd.observe(app, place, base))
    for place, observations in by_place.items():
        service.record(observations, ("argocd", place, None))
        store.contacted(service.context.database, f"{key}:{place}", place, service.context.now())
    return len(apps)
