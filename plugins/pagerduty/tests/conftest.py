from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

import callboard_pagerduty

if TYPE_CHECKING:  # imported by pytest_plugins below, before which it must not be imported
    from callboard.sdk.testing import VendorStandIns

pytest_plugins = ["callboard.sdk.testing"]

TOKEN = "u+pagerduty-read-only-key"
BOOKING_KEY = "b7a1c0ffee0000000000000000000001"
THEIRS_KEY = "b7a1c0ffee0000000000000000000002"
TRACKING_KEY = "b7a1c0ffee0000000000000000000003"
CARRIERS_KEY = "b7a1c0ffee0000000000000000000004"
CATALOG = f"""\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{name: testers, labels: {{visible: 'yes'}}}}
spec: {{type: team, children: []}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: booking-service
  labels: {{visible: 'yes'}}
  annotations: {{pagerduty.com/service-id: PBOOK01, pagerduty.com/integration-key: {BOOKING_KEY}}}
spec: {{type: service, lifecycle: production, owner: group:default/testers}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: tracking-service
  labels: {{visible: 'yes'}}
  annotations: {{pagerduty.com/integration-key: {TRACKING_KEY}}}
spec: {{type: service, lifecycle: production, owner: group:default/testers}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: carriers-service
  labels: {{visible: 'yes'}}
  annotations: {{pagerduty.com/service-id: PCARR01}}
spec: {{type: service, lifecycle: production, owner: group:default/testers}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: theirs
  labels: {{visible: 'yes'}}
  annotations: {{pagerduty.com/service-id: PTHEIRS, pagerduty.com/integration-key: {THEIRS_KEY}}}
spec: {{type: service, lifecycle: production, owner: group:default/others}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hidden
  annotations: {{pagerduty.com/service-id: PBOOK01, pagerduty.com/integration-key: {BOOKING_KEY}}}
spec: {{type: service, lifecycle: experimental, owner: group:default/testers}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: no-pagerduty, labels: {{visible: 'yes'}}}}
spec: {{type: service, lifecycle: production, owner: group:default/testers}}
"""


@pytest.fixture
def callboard_plugins() -> Mapping[str, ModuleType]:
    return {"pagerduty": callboard_pagerduty}


def seed(vendors: VendorStandIns) -> None:
    from callboard.sdk.testing import PagerDutyLevel, PagerDutyPerson, PagerDutyService

    amara = PagerDutyPerson("PU01", "Amara Okafor", "amara@northwind.example")
    lena = PagerDutyPerson("PU02", "Lena Fischer", "lena@northwind.example")
    tom = PagerDutyPerson("PU03", "Tom Becker", "tom@northwind.example")
    pagerduty = vendors.pagerduty
    pagerduty.add_policy("PEP01", "Booking escalation", [PagerDutyLevel([amara, lena]), PagerDutyLevel([tom], 168)])
    pagerduty.add_policy("PEP02", "Others", [PagerDutyLevel([tom])])
    pagerduty.add_service(PagerDutyService("PBOOK01", "Booking service", "PEP01", BOOKING_KEY))
    pagerduty.add_service(PagerDutyService("PTRACK1", "Tracking service", "PEP01", TRACKING_KEY))
    pagerduty.add_service(PagerDutyService("PCARR01", "Carriers service", "PEP01", CARRIERS_KEY))
    pagerduty.add_service(PagerDutyService("PTHEIRS", "Their service", "PEP02", THEIRS_KEY))
    pagerduty.open_incident("PBOOK01", "Quotes time out for DHL", urgency="high")
    pagerduty.open_incident("PBOOK01", "Label printer queue slow", urgency="low", status="acknowledged")
    pagerduty.services["PBOOK01"].change_events.append(
        {
            "id": "01CE1",
            "summary": "Deployed booking-service 2.14.0",
            "timestamp": "2026-12-06T09:30:00Z",
            "source": "github-actions",
            "links": [{"href": "https://github.com/northwind/booking-service/actions/runs/1", "text": "run"}],
        }
    )
    pagerduty.credentials = {TOKEN}


@pytest.fixture
def callboard_config(tmp_path: Path, vendors: VendorStandIns) -> dict[str, Any]:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    seed(vendors)
    return {
        "catalog": {
            "locations": [{"type": "file", "target": str(catalog)}],
            "rules": [{"allow": ["Component", "Group", "Location"]}],
        },
        "pagerDuty": {
            "apiToken": TOKEN,
            "apiBaseUrl": f"{vendors.url}/pagerduty",
            "eventsBaseUrl": f"{vendors.url}/pagerduty-events/v2",
            "integrationKeys": {"PCARR01": CARRIERS_KEY},
        },
        "permission": {
            "rules": [
                {
                    "permission": "catalog.entity.read",
                    "principals": ["group:default/testers"],
                    "conditions": {"hasLabel": "visible"},
                },
                {
                    "permission": "pagerduty.incident.create",
                    "principals": ["group:default/testers"],
                    "conditions": {"isEntityOwner": True},
                },
            ]
        },
    }
