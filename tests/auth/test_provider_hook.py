"""Ways to sign in are plugins: OIDC and GitHub come through the same hook; a plugin adds its own, a provider
no plugin offers is reported and not offered, and bad provider settings stop start-up naming the key."""

from __future__ import annotations

import logging
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from callboard.config_loader import ConfigError
from callboard.sdk import AuthProviderSpec, Profile, SignInFlow, hookimpl
from tests.support import Server, make_runtime


class DeskProvider:
    """A sign-in provider as a plugin writes one (an in-house SSO, say)."""

    id = "desk"
    title = "Desk SSO"

    def __init__(self, settings: Mapping[str, Any]) -> None:
        if "authorizeUrl" not in settings:
            raise ValueError("authorizeUrl is required, e.g. https://sso.example.com/authorize")
        self.authorize = str(settings["authorizeUrl"])
        self.resolvers: list[Any] = []

    def authorize_url(self, redirect_uri: str, flow: SignInFlow) -> str:
        return f"{self.authorize}?redirect_uri={redirect_uri}&state={flow.state}"

    def finish(self, code: str, redirect_uri: str, flow: SignInFlow) -> Profile:
        return Profile("desk", email=f"{code}@example.com")


def desk_plugin() -> types.ModuleType:
    module = types.ModuleType("desk_sso")
    module.CALLBOARD_PLUGIN_API = "1.1"  # type: ignore[attr-defined]
    module.register_auth_providers = hookimpl(  # type: ignore[attr-defined]
        lambda: [AuthProviderSpec("desk", "Desk SSO", DeskProvider)]
    )
    return module


def test_a_plugin_provider_is_offered_and_starts_its_flow(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = {
        "auth": {
            "environment": "production",
            "providers": {"desk": {"authorizeUrl": "https://sso.example.com/authorize"}, "microsoft": {"x": 1}},
        }
    }
    with caplog.at_level(logging.WARNING):
        runtime = make_runtime(config, tmp_path, plugins={"desk": desk_plugin()})
    try:
        assert set(runtime.auth.providers) == {"desk"}
        assert any(
            "auth.providers.microsoft: no installed plugin signs in with 'microsoft'" in r.message
            for r in caplog.records
        )
        with Server(runtime.web) as server:
            started = httpx.get(f"{server.url}/api/auth/desk/start")
            assert started.status_code == 302
            target = urlsplit(started.headers["location"])
            assert f"{target.scheme}://{target.netloc}{target.path}" == "https://sso.example.com/authorize"
            assert parse_qs(target.query)["state"]
            assert "Desk SSO" in httpx.get(f"{server.url}/signin").text
    finally:
        runtime.close()


def test_bad_provider_settings_stop_start_up_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"auth\.providers\.desk: authorizeUrl is required"):
        make_runtime({"auth": {"providers": {"desk": {}}}}, tmp_path, plugins={"desk": desk_plugin()})
    with pytest.raises(ConfigError) as raised:
        make_runtime({"auth": {"providers": {"oidc": {"clientId": "x", "clientSecret": "s3cr3t"}}}}, tmp_path)
    assert "auth.providers.oidc.metadataUrl: Field required" in str(raised.value)
    assert "s3cr3t" not in str(raised.value)
