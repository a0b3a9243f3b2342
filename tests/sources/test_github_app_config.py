"""A GitHub App in ``integrations.github[].apps[]`` that cannot sign stops start-up naming the setting, never
printing the key; a good one gives the integration a per-owner credential instead of a fixed header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from callboard.config_loader import ConfigError
from callboard.sources.api import integration_targets
from callboard.sources.github_app import GitHubAppAuth
from tests.support import make_runtime

KEY = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)


@pytest.mark.parametrize(
    ("app", "words"),
    [
        ({"appId": 1}, "apps[0]: a GitHub App needs appId and privateKey"),
        ({"appId": 1, "privateKey": "-----BEGIN nothing-----"}, "apps[0].privateKey: not a PEM private key"),
    ],
)
def test_an_app_without_a_usable_key_stops_start_up(tmp_path: Path, app: dict[str, Any], words: str) -> None:
    config = {"integrations": {"github": [{"host": "github.com", "apps": [app]}]}, "dataDir": str(tmp_path)}
    with pytest.raises(ConfigError) as raised:
        make_runtime(config, tmp_path)
    assert f"integrations.github[github.com].{words}" in str(raised.value)
    assert "BEGIN nothing" not in str(raised.value)


def test_an_app_signs_per_call_and_a_token_alone_is_a_header() -> None:
    targets = integration_targets(
        {
            "github": [
                {"host": "github.com", "apps": [{"appId": 7, "privateKey": KEY}], "token": "fallback"},
                {"host": "ghe.example", "token": "ghe-token"},
            ]
        }
    )
    assert isinstance(targets["github"].auth, GitHubAppAuth) and targets["github"].headers == {}
    assert targets["github:ghe.example"].headers == {"Authorization": "Bearer ghe-token"}
    assert targets["github:ghe.example"].base_url == "https://ghe.example/api/v3"
