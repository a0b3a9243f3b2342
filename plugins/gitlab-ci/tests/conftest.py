from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

import callboard_gitlab_ci

if TYPE_CHECKING:  # imported by pytest_plugins below, before which it must not be imported
    from callboard.sdk.testing import VendorStandIns

pytest_plugins = ["callboard.sdk.testing"]

TOKEN = "glpat-callboard-test-token"
CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: label-printer
  labels: {visible: 'yes'}
  annotations: {gitlab.com/project-slug: northwind/platform/label-printer}
spec: {type: service, lifecycle: production, owner: group:default/testers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: theirs
  labels: {visible: 'yes'}
  annotations: {gitlab.com/project-slug: northwind/theirs}
spec: {type: service, lifecycle: production, owner: group:default/others}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hidden
  annotations: {gitlab.com/project-slug: northwind/hidden}
spec: {type: service, lifecycle: production, owner: group:default/testers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: bad-project
  labels: {visible: 'yes'}
  annotations: {gitlab.com/project-slug: "../../users"}
spec: {type: service, lifecycle: production, owner: group:default/testers}
"""


@pytest.fixture
def callboard_plugins() -> Mapping[str, ModuleType]:
    return {"gitlab-ci": callboard_gitlab_ci}


@pytest.fixture
def callboard_config(tmp_path: Path, vendors: VendorStandIns) -> dict[str, Any]:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    vendors.gitlab.credentials = {TOKEN}
    return {
        "catalog": {"locations": [{"type": "file", "target": str(catalog)}]},
        "integrations": {
            "gitlab": [{"host": "gitlab.com", "apiBaseUrl": f"{vendors.url}/gitlab/api/v4", "token": TOKEN}]
        },
        "permission": {
            "rules": [
                {"permission": "catalog.entity.read", "principals": ["*"], "conditions": {"hasLabel": "visible"}},
                {
                    "permission": "gitlab-ci.pipeline.retry",
                    "principals": ["group:default/testers"],
                    "conditions": {"isEntityOwner": True},
                },
            ]
        },
    }
