"""The Argo CD version source: applications' sync and health status and revision, through its REST API
(``GET /api/v1/applications``) with the integration's token, on the server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callboard_deployments.model import HEALTH, Observation, Place, image_version, parse_time
from callboard_deployments.settings import ArgoCd


def observe(app: Mapping[str, Any], place: str, base_url: str) -> Observation:
    metadata = _map(app.get("metadata"))
    spec = _map(app.get("spec"))
    status = _map(app.get("status"))
    sync = _map(status.get("sync"))
    health = str(_map(status.get("health")).get("status") or "Unknown")
    images = [str(image) for image in _map(status.get("summary")).get("images") or []]
    revision = str(sync.get("revision") or "")
    history = [_map(entry) for entry in status.get("history") or []]
    operation = _map(status.get("operationState"))
    deployed_at = parse_time(history[-1].get("deployedAt")) if history else parse_time(operation.get("finishedAt"))
    name = str(metadata.get("name") or "")
    destination = _map(spec.get("destination"))
    return Observation(
        source="argocd",
        place=place,
        namespace=str(destination.get("namespace") or metadata.get("namespace") or ""),
        kind="Application",
        name=name,
        version=image_version(images[0]) if images else revision[:12],
        match_key=name,
        labels={str(key): str(value) for key, value in _map(metadata.get("labels")).items()},
        image=images[0] if images else "",
        health=health if health in HEALTH else "Unknown",
        sync=str(sync.get("status") or ""),
        deployed_at=deployed_at,
        deployed_by=str(_map(_map(operation.get("operation")).get("initiatedBy")).get("username") or ""),
        url=f"{base_url.rstrip('/').removesuffix('/api/v1')}/applications/{name}",
    )


def place_of(app: Mapping[str, Any], settings: ArgoCd, places: Mapping[str, Place], urls: Mapping[str, str]) -> str:
    """The cluster an application deploys to: its destination's name or server, mapped by ``argocd.clusters``
    or matched to a configured cluster's name or url."""
    destination = _map(_map(app.get("spec")).get("destination"))
    for raw in (destination.get("name"), destination.get("server")):
        if not raw:
            continue
        key = str(raw)
        if key in settings.clusters:
            return settings.clusters[key]
        if key in places:
            return key
        if key.rstrip("/") in urls:
            return urls[key.rstrip("/")]
    return str(destination.get("name") or destination.get("server") or "unknown")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
