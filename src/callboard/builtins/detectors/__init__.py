"""Callboard's own detectors for the inferred catalog, registered like a plugin's."""

from __future__ import annotations

from callboard.builtins.detectors.ci import Pipelines
from callboard.builtins.detectors.deployment import Deployments
from callboard.builtins.detectors.docs import Docs
from callboard.builtins.detectors.manifests import Manifests
from callboard.builtins.detectors.ownership import CodeOwners
from callboard.builtins.detectors.releases import Releases
from callboard.builtins.detectors.specs import ApiSpecs
from callboard.builtins.detectors.stacks import Stacks
from callboard.sdk import hookimpl

CALLBOARD_PLUGIN_API = "1.0"


@hookimpl
def register_discovery_detectors() -> list[object]:
    return [Manifests(), Stacks(), Pipelines(), Deployments(), ApiSpecs(), CodeOwners(), Docs(), Releases()]
