from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

import callboard_jira

if TYPE_CHECKING:  # imported by pytest_plugins below, before which it must not be imported
    from callboard.sdk.testing import VendorStandIns

pytest_plugins = ["callboard.sdk.testing"]

EMAIL = "portal@northwind.example"
API_TOKEN = "ATATT3xFfGF0-cloud-api-token"
PAT = "NjE4-data-center-personal-access-token"
CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: booking-service
  annotations: {jira/project-key: BOOK}
spec: {type: service, lifecycle: production, owner: group:default/testers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: booking-api
  annotations: {jira/project-key: BOOK, jira/component: booking-api}
spec: {type: service, lifecycle: production, owner: group:default/testers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: sneaky
  annotations: {jira/project-key: BOOK, jira/component: 'x") OR project = "SECRET'}
spec: {type: service, lifecycle: production, owner: group:default/testers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: bad-key
  annotations: {jira/project-key: "BOOK/../../myself"}
spec: {type: service, lifecycle: production, owner: group:default/testers}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: no-jira}
spec: {type: service, lifecycle: production, owner: group:default/testers}
"""


@pytest.fixture
def callboard_plugins() -> Mapping[str, ModuleType]:
    return {"jira": callboard_jira}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "jira(**settings): this test's own jira settings, over Jira Cloud's")


@pytest.fixture
def callboard_config(tmp_path: Path, vendors: VendorStandIns, request: pytest.FixtureRequest) -> dict[str, Any]:
    from callboard.sdk.testing import JiraStandIn

    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    vendors.jira.add_project("BOOK", "Booking", ("booking-api", "booking-web"), count=60)
    vendors.jira.add_project("SECRET", "Secret project", count=5)
    marker = request.node.get_closest_marker("jira")
    settings: dict[str, Any] = {"baseUrl": f"{vendors.url}/jira", "email": EMAIL, "apiToken": API_TOKEN}
    if marker:
        settings = {key: value for key, value in {**settings, **marker.kwargs}.items() if value is not None}
    vendors.jira.credentials = {JiraStandIn.basic(EMAIL, API_TOKEN), f"Bearer {PAT}"}
    return {"catalog": {"locations": [{"type": "file", "target": str(catalog)}]}, "jira": settings}
