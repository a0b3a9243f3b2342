"""Who sees what: ``aws.read`` for the page and API, and catalog permissions for each account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.sdk import Identity
from callboard.sdk.testing import Portal
from tests.conftest import SCAN


@pytest.fixture
def callboard_config(tmp_path: Path, aws_settings: dict[str, Any]) -> dict[str, Any]:
    from tests.conftest import callboard_config as base

    config: dict[str, Any] = base.__wrapped__(tmp_path, aws_settings)  # type: ignore[attr-defined]
    config["permission"] = {
        "enabled": True,
        "rules": [
            {"permission": "catalog.entity.read", "principals": ["service:*"]},
            # Billing sees what billing owns; nobody outside sees the inventory at all.
            {"permission": "catalog.entity.read", "principals": ["*"], "conditions": {"isEntityOwner": True}},
            {"permission": "aws.read", "principals": ["user:default/outsider"], "decision": "deny"},
        ],
    }
    return config


@pytest.fixture
def identity() -> Identity:
    return Identity("user", "user:default/bea", ("user:default/bea", "group:default/billing-team"), "Bea")


def test_a_team_sees_its_own_accounts_only(portal: Portal, client: httpx.Client, cloud: dict[str, str]) -> None:
    portal.process_catalog()
    assert portal.run_task(SCAN) == "succeeded"
    portal.process_catalog()
    names = {account["name"] for account in client.get("/api/aws/accounts").json()["items"]}
    assert names == {"billing-prod", "billing-staging"}
    page = client.get("/aws/").text
    assert "billing-prod" in page and "shipping-prod" not in page and "security-audit" not in page


def test_a_denied_caller_is_refused_with_the_permission_named(portal: Portal, cloud: dict[str, str]) -> None:
    outsider = Identity("user", "user:default/outsider", ("user:default/outsider",), "Outsider")
    headers = {"Authorization": f"Bearer {portal.token_for(outsider)}", "Accept": "application/json"}
    with httpx.Client(base_url=portal.url, headers=headers) as http:
        for path in ("/api/aws/accounts", "/api/aws/scans", "/aws/"):
            response = http.get(path)
            assert response.status_code == 403, path
        assert "aws.read" in http.get("/api/aws/accounts").json()["error"]["message"]
