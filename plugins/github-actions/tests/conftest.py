from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

import callboard_github_actions

if TYPE_CHECKING:  # imported by pytest_plugins below, before which it must not be imported
    from callboard.sdk.testing import VendorStandIns

pytest_plugins = ["callboard.sdk.testing"]

TOKEN = "ghp_callboard_test_token"
CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: testers}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: booking-service
  annotations: {github.com/project-slug: northwind/booking-service}
spec: {type: service, lifecycle: production, owner: group:default/testers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: theirs
  annotations: {github.com/project-slug: northwind/theirs}
spec: {type: service, lifecycle: production, owner: group:default/others}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hidden
  annotations: {github.com/project-slug: northwind/hidden}
spec: {type: service, lifecycle: experimental, owner: group:default/testers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: no-slug}
spec: {type: service, lifecycle: production, owner: group:default/testers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: bad-slug
  annotations: {github.com/project-slug: "../.."}
spec: {type: service, lifecycle: production, owner: group:default/testers}
"""


@pytest.fixture
def callboard_plugins() -> Mapping[str, ModuleType]:
    return {"github-actions": callboard_github_actions}


@pytest.fixture
def callboard_config(tmp_path: Path, vendors: VendorStandIns) -> dict[str, Any]:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    vendors.github.credentials = {TOKEN}
    return {
        "catalog": {"locations": [{"type": "file", "target": str(catalog)}]},
        "integrations": {"github": [{"host": "github.com", "apiBaseUrl": f"{vendors.url}/github", "token": TOKEN}]},
        "permission": {
            "rules": [
                # Testers read production components only: "hidden" does not exist for them.
                {
                    "permission": "catalog.entity.read",
                    "principals": ["group:default/testers"],
                    "conditions": {"hasSpec": {"lifecycle": "production"}},
                },
                {
                    "permission": "github-actions.run.rerun",
                    "principals": ["group:default/testers"],
                    "conditions": {"isEntityOwner": True},
                },
            ]
        },
        "plugins": {"github-actions": {"cacheSeconds": 60}},
    }
