"""Start-up refuses unsafe or unusable sign-in setups, and says what to change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from callboard.app import create_runtime
from callboard.assembly import create_callboard
from callboard.auth.service import AuthSetupError, is_loopback, safe_return_path
from callboard.config_loader import ConfigError, LoadedConfig
from callboard.core.errors import NotAllowedError
from callboard.settings import settings_from
from tests.catalog.fixtures import config, write_catalog


def runtime_for(tmp_path: Path, **sections: Any) -> Any:
    cfg: dict[str, Any] = config(write_catalog(tmp_path / "repo"), {"connection": str(tmp_path / "db.sqlite")})
    cfg.update(sections)
    return create_runtime(create_callboard(settings_from(LoadedConfig(cfg, []))), cwd=tmp_path)


def test_no_way_to_sign_in_refuses_to_start(tmp_path: Path) -> None:
    runtime = runtime_for(tmp_path)
    try:
        with pytest.raises(AuthSetupError, match=r"No way to sign in is configured.*auth\.providers\.oidc"):
            runtime.auth.check_setup("127.0.0.1")
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("environment", "host", "message"),
    [
        ("production", "127.0.0.1", "only allowed when auth.environment is 'development'"),
        ("development", "0.0.0.0", "only runs on a loopback address"),
        ("development", "10.1.2.3", "only runs on a loopback address"),
    ],
)
def test_guest_is_refused_outside_development_on_loopback(
    tmp_path: Path, environment: str, host: str, message: str
) -> None:
    runtime = runtime_for(tmp_path, auth={"environment": environment, "providers": {"guest": {}}})
    try:
        with pytest.raises(AuthSetupError, match=message):
            runtime.auth.check_setup(host)
        if environment == "development":
            runtime.auth.check_setup("127.0.0.1")  # the same setup is fine on loopback
    finally:
        runtime.close()


def test_guest_sign_in_is_refused_from_another_machine(tmp_path: Path) -> None:
    runtime = runtime_for(tmp_path, auth={"environment": "development", "providers": {"guest": {}}})
    try:
        with pytest.raises(NotAllowedError, match="only possible from this machine"):
            runtime.auth.sign_in_as_guest("192.168.1.20")
        assert runtime.auth.sign_in_as_guest("127.0.0.1").subject == "user:default/guest"
    finally:
        runtime.close()


def test_bad_auth_config_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"backend\.auth\.externalAccess\.0\.options\.token.*at least 8 characters"):
        runtime_for(
            tmp_path,
            backend={
                "database": {"connection": str(tmp_path / "db.sqlite")},
                "auth": {"externalAccess": [{"type": "static", "options": {"token": "short", "subject": "ci"}}]},
            },
        )
    with pytest.raises(ConfigError, match=r"proxy\.endpoints\./bad\.target: Proxy target is not a valid URL"):
        runtime_for(tmp_path, proxy={"endpoints": {"/bad": {"target": "not a url"}}})
    with pytest.raises(ConfigError, match=r"permission\.rules\.0\.decision"):
        runtime_for(tmp_path, permission={"rules": [{"permission": "x", "decision": "maybe"}]})


def test_serve_refuses_a_production_config_without_sign_in(tmp_path: Path) -> None:
    cfg = config(write_catalog(tmp_path / "repo"), {"connection": str(tmp_path / "db.sqlite")})
    (tmp_path / "app-config.yaml").write_text(yaml.safe_dump(cfg))
    result = subprocess.run(
        [sys.executable, "-m", "callboard", "serve", "--config", str(tmp_path / "app-config.yaml"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "No way to sign in is configured" in result.stderr and "callboard demo" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/catalog?kind=api", "/catalog?kind=api"),
        ("//evil", "/"),
        ("https://x", "/"),
        ("/\\x", "/"),
        ("", "/"),
        ("catalog", "/"),
        ("/a\nb", "/"),
    ],
)
def test_return_paths_stay_on_the_portal(value: str, expected: str) -> None:
    assert safe_return_path(value) == expected


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("example.com", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
