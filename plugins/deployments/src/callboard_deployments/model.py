"""What a version source reports, and where it runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Argo CD's health words, which every source maps to.
HEALTH = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")


@dataclass(frozen=True)
class Place:
    """A cluster or a configured target: the cell of the matrix a workload lands in."""

    name: str
    environment: str
    market: str


@dataclass(frozen=True)
class Observation:
    """One workload as a source saw it: which version runs, how many replicas are ready, how healthy."""

    source: str
    place: str
    namespace: str
    kind: str
    name: str
    version: str
    match_key: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    image: str = ""
    replicas: int | None = None
    ready: int | None = None
    health: str = "Unknown"
    sync: str = ""
    deployed_at: float | None = None
    deployed_by: str = ""
    url: str = ""
    #: The entity, when the source knows it outright (a change event names its entities).
    entity_ref: str | None = None
    #: Where it runs, when the source knows better than the place's config (a change event at a target).
    environment: str | None = None
    market: str | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.namespace, self.kind, self.name)


def iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(value: Any) -> float | None:
    """An RFC 3339 time as Kubernetes and Argo CD write it, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


_DIGEST = re.compile(r"@(sha256:[0-9a-f]{7,64})$")


def image_version(image: str) -> str:
    """The version an image reference names: its tag, else its digest shortened, else ``latest``."""
    digest = _DIGEST.search(image)
    if digest:
        return digest.group(1)[:19]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"
