from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import callboard_change_events

pytest_plugins = ["callboard.sdk.testing"]

GITHUB_SECRET = "github-webhook-secret-for-tests"
GITLAB_TOKEN = "gitlab-webhook-token-for-tests"
PAGERDUTY_SECRET = "pagerduty-signing-secret-for-tests"

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments}
spec: {type: team, children: [payments-web-team]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments-web-team}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: checkout}
spec: {owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  annotations:
    github.com/project-slug: Codertocat/Hello-World
    pagerduty.com/service-id: PF9KMXH
spec:
  type: service
  lifecycle: production
  owner: payments
  system: checkout
  dependsOn: [resource:payments-db]
  consumesApis: [ledger-api]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-web
  annotations:
    gitlab.com/project-slug: mike/diaspora
spec:
  type: website
  lifecycle: production
  owner: payments-web-team
  system: checkout
  dependsOn: [component:payments-api]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: payments-db}
spec: {type: database, owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: ledger-api}
spec: {type: openapi, lifecycle: production, owner: ledger, definition: "openapi: 3.0.0"}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger
  annotations:
    backstage.io/kubernetes-id: ledger
spec: {type: service, lifecycle: production, owner: ledger, providesApis: [ledger-api]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: ledger}
spec: {type: team, children: []}
"""


@pytest.fixture
def callboard_plugins() -> dict[str, ModuleType]:
    return {"change-events": callboard_change_events}


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalog" / "catalog-info.yaml"
    path.parent.mkdir()
    path.write_text(CATALOG)
    return path


@pytest.fixture
def callboard_config(catalog_file: Path) -> dict[str, Any]:
    return {
        "catalog": {
            "rules": [{"allow": ["Component", "System", "API", "Resource", "Group", "Location", "Domain"]}],
            "locations": [{"type": "file", "target": str(catalog_file)}],
        },
        "changeEvents": {
            "github": {"webhookSecret": GITHUB_SECRET},
            "gitlab": {"webhookToken": GITLAB_TOKEN},
            "pagerduty": {"webhookSecret": PAGERDUTY_SECRET},
            "rules": [{"match": {"attributes.service": "ledger*"}, "entity": "component:default/ledger"}],
        },
    }
