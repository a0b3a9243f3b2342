"""Installing the plugin hands nobody a Re-run button: without a rule naming github-actions.run.rerun, it is
refused even where the portal's default decision allows (writes outside the portal are opt-in)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.sdk.testing import Portal, VendorStandIns
from tests.conftest import CATALOG, TOKEN


@pytest.fixture
def callboard_config(tmp_path: Path, vendors: VendorStandIns) -> dict[str, Any]:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    vendors.github.credentials = {TOKEN}
    return {
        "catalog": {"locations": [{"type": "file", "target": str(catalog)}]},
        "integrations": {"github": [{"host": "github.com", "apiBaseUrl": f"{vendors.url}/github", "token": TOKEN}]},
        "permission": {"defaultDecision": "allow", "rules": []},
    }


@pytest.mark.parametrize("portal", ["sqlite"], indirect=True)
def test_rerun_needs_a_rule_whatever_the_default_decision(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    run = vendors.github.repository("northwind", "booking-service").runs[0]
    page = client.get("/catalog/default/component/booking-service/tabs/github-actions", params={"run": run.id})
    assert run.name in page.text and "Re-run</button>" not in page.text
    refused = client.post(
        f"/api/github-actions/runs/{run.id}/rerun", params={"entity": "component:default/booking-service"}
    )
    assert refused.status_code == 403
    assert vendors.github.reruns == []
    (entry,) = portal.audit_entries(actions=["github-actions.run.rerun"])
    assert "granted only by a rule in permission.rules" in entry["details"]["reason"]
