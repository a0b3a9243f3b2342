"""A plugin's permission about one entity (``resource="catalog-entity"``): rules may carry conditions such as
isEntityOwner, and ``decide_for_entity`` applies them to the entity at hand, as for the catalog's own."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from callboard.sdk import (
    NotAllowedError,
    NotFoundError,
    PermissionSpec,
    PluginContext,
    PluginRoutes,
    decide_for_entity,
    hookimpl,
)
from callboard.sdk.testing import Portal
from callboard.sdk.testing import client as client  # noqa: PLC0414  (the SDK's fixtures)
from callboard.sdk.testing import clock as clock  # noqa: PLC0414
from callboard.sdk.testing import identity as identity  # noqa: PLC0414
from callboard.sdk.testing import portal as portal  # noqa: PLC0414

RERUN = "builds.run.rerun"


@hookimpl
def register_permissions() -> list[PermissionSpec]:
    return [PermissionSpec(RERUN, "Re-run an entity's build", "update", resource="catalog-entity")]


@hookimpl
def register_routes(context: PluginContext) -> PluginRoutes:
    api = APIRouter()

    @api.post("/rerun")
    def rerun(entity: str) -> dict[str, Any]:
        found = context.caller_catalog.entity(entity)
        if found is None:
            raise NotFoundError(f"no entity {entity} that you may read")
        decision = decide_for_entity(RERUN, found)
        if not decision.allowed:
            raise NotAllowedError(f"{RERUN} is needed on {entity} ({decision.reason})")
        context.audit("builds.run.rerun", entity)
        return {"rerun": entity}

    return PluginRoutes(api=api)


def _plugin() -> ModuleType:
    """This file's hooks as an installed plugin's module."""
    module = ModuleType("builds")
    module.CALLBOARD_PLUGIN_API = "1.5"  # type: ignore[attr-defined]
    module.register_permissions = register_permissions  # type: ignore[attr-defined]
    module.register_routes = register_routes  # type: ignore[attr-defined]
    return module


CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ours}
spec: {type: service, lifecycle: production, owner: group:default/testers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: theirs}
spec: {type: service, lifecycle: production, owner: group:default/others}
"""


@pytest.fixture
def callboard_plugins() -> dict[str, ModuleType]:
    return {"builds": _plugin()}


@pytest.fixture
def callboard_config(tmp_path: Path) -> dict[str, Any]:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    return {
        "catalog": {"locations": [{"type": "file", "target": str(catalog)}]},
        "permission": {
            "enabled": True,
            "rules": [{"permission": RERUN, "principals": ["*"], "conditions": {"isEntityOwner": True}}],
            "defaultDecision": "allow",
        },
    }


def test_an_owner_may_and_others_may_not(portal: Portal, client: httpx.Client) -> None:
    portal.process_catalog()
    assert client.post("/api/builds/rerun", params={"entity": "component:default/ours"}).status_code == 200
    refused = client.post("/api/builds/rerun", params={"entity": "component:default/theirs"})
    assert refused.status_code == 403
    assert "its conditions do not hold for component:default/theirs" in refused.json()["error"]["message"]
    assert [entry["target"] for entry in portal.audit_entries(actions=["builds.run.rerun"])] == [
        "component:default/ours"
    ]
