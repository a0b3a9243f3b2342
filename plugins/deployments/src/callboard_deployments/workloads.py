"""A Kubernetes workload (Deployment, StatefulSet, DaemonSet, CronJob) as an observation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callboard_deployments.matching import KUBERNETES_ID
from callboard_deployments.model import Observation, image_version, parse_time

VERSION_LABEL = "app.kubernetes.io/version"
KINDS = {"deployments": "Deployment", "statefulsets": "StatefulSet", "daemonsets": "DaemonSet", "cronjobs": "CronJob"}


def observe(kind: str, item: Mapping[str, Any], place: str) -> Observation:
    """``kind`` is the resource's plural (``deployments``); the version is the ``app.kubernetes.io/version``
    label of the workload or its pod template, else the first container's image tag or digest."""
    metadata = _map(item.get("metadata"))
    spec = _map(item.get("spec"))
    status = _map(item.get("status"))
    labels = {str(key): str(value) for key, value in _map(metadata.get("labels")).items()}
    template = (
        _map(_map(_map(spec.get("jobTemplate")).get("spec")).get("template"))
        if kind == "cronjobs"
        else _map(spec.get("template"))
    )
    template_labels = _map(_map(template.get("metadata")).get("labels"))
    containers = [_map(container) for container in _map(template.get("spec")).get("containers") or []]
    image = str(containers[0].get("image") or "") if containers else ""
    version = str(
        labels.get(VERSION_LABEL) or template_labels.get(VERSION_LABEL) or (image_version(image) if image else "")
    )
    replicas, ready = _replicas(kind, spec, status)
    return Observation(
        source="kubernetes",
        place=place,
        namespace=str(metadata.get("namespace") or "default"),
        kind=KINDS.get(kind, kind),
        name=str(metadata.get("name") or ""),
        version=version,
        match_key=str(labels.get(KUBERNETES_ID) or template_labels.get(KUBERNETES_ID) or ""),
        labels=labels,
        image=image,
        replicas=replicas,
        ready=ready,
        health=_health(kind, spec, status, replicas, ready),
        deployed_at=_deployed_at(kind, metadata, status),
    )


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _replicas(kind: str, spec: Mapping[str, Any], status: Mapping[str, Any]) -> tuple[int | None, int | None]:
    if kind == "daemonsets":
        return _int(status.get("desiredNumberScheduled")), _int(status.get("numberReady")) or 0
    if kind == "cronjobs":
        return None, None
    desired = _int(spec.get("replicas"))
    return (1 if desired is None else desired), _int(status.get("readyReplicas")) or 0


def _health(
    kind: str, spec: Mapping[str, Any], status: Mapping[str, Any], replicas: int | None, ready: int | None
) -> str:
    if kind == "cronjobs":
        if spec.get("suspend"):
            return "Suspended"
        succeeded, scheduled = parse_time(status.get("lastSuccessfulTime")), parse_time(status.get("lastScheduleTime"))
        if scheduled is not None and (succeeded is None or succeeded < scheduled) and not status.get("active"):
            return "Degraded"  # the last scheduled run ended without succeeding
        return "Healthy"
    if replicas == 0:
        return "Suspended"
    conditions = {str(_map(c).get("type")): _map(c) for c in status.get("conditions") or []}
    progressing = conditions.get("Progressing", {})
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return "Degraded"
    updated = _int(status.get("updatedReplicas"))
    if replicas is not None and ready is not None and ready >= replicas and (updated is None or updated >= replicas):
        return "Healthy"
    if updated is not None and replicas is not None and updated < replicas:
        return "Progressing"
    return "Degraded" if ready == 0 else "Progressing"


def _deployed_at(kind: str, metadata: Mapping[str, Any], status: Mapping[str, Any]) -> float | None:
    """When this version went out, as far as the object tells: the Progressing condition's last update (a new
    ReplicaSet became available), else the object's creation."""
    for raw in status.get("conditions") or []:
        condition = _map(raw)
        if condition.get("type") == "Progressing" and condition.get("reason") == "NewReplicaSetAvailable":
            found = parse_time(condition.get("lastUpdateTime"))
            if found is not None:
                return found
    return parse_time(metadata.get("creationTimestamp"))
