"""Signing in to GitHub as a GitHub App, as Backstage's ``integrations.github[].apps[]`` configure it: the
portal finds the app's installation on the repository's owner and calls with its installation token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from callboard.sdk.testing import Portal, VendorStandIns
from tests.conftest import CATALOG

APP_ID = "314159"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture
def callboard_config(tmp_path: Path, vendors: VendorStandIns) -> dict[str, Any]:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    vendors.github.app_keys = {APP_ID: PUBLIC.decode()}
    vendors.github.installations = {"northwind": 2718}
    vendors.github.credentials = {"only-installation-tokens-are-accepted"}
    app = {"appId": APP_ID, "privateKey": PRIVATE.decode(), "clientId": "Iv1.abc", "clientSecret": "x"}
    return {
        "catalog": {"locations": [{"type": "file", "target": str(catalog)}]},
        "integrations": {"github": [{"host": "github.com", "apiBaseUrl": f"{vendors.url}/github", "apps": [app]}]},
        "plugins": {"github-actions": {"cacheSeconds": 0}},
    }


@pytest.mark.parametrize("portal", ["sqlite"], indirect=True)
def test_calls_carry_the_installation_token_of_the_app_installed_on_the_owner(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    portal.process_catalog()
    for _ in range(3):
        response = client.get("/api/github-actions/runs", params={"entity": "component:default/booking-service"})
        assert response.status_code == 200, response.text
        assert response.json()["runs"] and response.json()["problem"] is None
    calls = vendors.github.calls
    assert calls["GET /github/app/installations"] == 1  # listed once
    assert calls["POST /github/app/installations/2718/access_tokens"] == 1  # one token, kept until it expires
    assert calls["GET /github/repos/northwind/booking-service/actions/runs"] == 3
    assert PRIVATE.decode() not in client.get("/admin/plugins").text


@pytest.mark.parametrize("portal", ["sqlite"], indirect=True)
def test_an_owner_without_the_app_installed_is_refused_with_the_reason(
    portal: Portal, client: httpx.Client, vendors: VendorStandIns
) -> None:
    vendors.github.installations = {}
    portal.process_catalog()
    response = client.get("/api/github-actions/runs", params={"entity": "component:default/booking-service"})
    assert response.status_code == 200
    assert "GitHub refused the portal's credential (HTTP 401): Bad credentials" in response.json()["problem"]
