from __future__ import annotations

from pathlib import Path

import pytest

from callboard.config_loader import ConfigError, load_config
from callboard.settings import load_settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def test_default_files_are_app_config_then_local(tmp_path: Path) -> None:
    write(tmp_path / "app-config.yaml", "app: {title: Base, baseUrl: http://a}\nlist: [1, 2]\n")
    write(tmp_path / "app-config.local.yaml", "app: {title: Local}\nlist: [3]\n")
    loaded = load_config(cwd=tmp_path, environ={})
    assert loaded.data == {"app": {"title": "Local", "baseUrl": "http://a"}, "list": [3]}
    assert loaded.origin(("app", "title")).endswith("app-config.local.yaml")
    assert loaded.origin(("app", "baseUrl")).endswith("app-config.yaml")


def test_explicit_files_replace_defaults_and_later_wins(tmp_path: Path) -> None:
    write(tmp_path / "app-config.yaml", "app: {title: Ignored}\n")
    write(tmp_path / "a.yaml", "app: {title: A}\nbackend: {listen: {port: 1}}\n")
    write(tmp_path / "b.yaml", "app: {title: B}\nbackend: {listen: null}\n")
    loaded = load_config([Path("a.yaml"), Path("b.yaml")], cwd=tmp_path, environ={})
    assert loaded.data == {"app": {"title": "B"}, "backend": {"listen": None}}


def test_substitution_fallback_escape_and_unset(tmp_path: Path) -> None:
    write(
        tmp_path / "app-config.yaml",
        "a: ${HOST}:${PORT:-7007}\nb: $${HOST}\nc: prefix-${MISSING}\nd: plain\n",
    )
    write(tmp_path / "app-config.local.yaml", "")
    loaded = load_config(cwd=tmp_path, environ={"HOST": "example.com"})
    assert loaded.data == {"a": "example.com:7007", "b": "${HOST}", "d": "plain"}
    assert loaded.is_secret(("a",))
    assert not loaded.is_secret(("b",))


def test_unset_variable_lets_a_lower_file_show_through(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "app: {title: Base}\n")
    write(tmp_path / "b.yaml", "app: {title: '${TITLE}'}\n")
    assert load_config([Path("a.yaml"), Path("b.yaml")], cwd=tmp_path, environ={}).data == {"app": {"title": "Base"}}


def test_env_file_and_include(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    write(tmp_path / "conf" / "token.txt", "s3cret\n")
    write(tmp_path / "conf" / "part.yaml", "db:\n  connection: {host: h, password: '${DBPW}'}\n")
    write(tmp_path / "conf" / "part.json", '{"x": {"y": 2}}')
    write(
        tmp_path / "conf" / "app-config.yaml",
        "token: {$env: TOKEN}\nfile: {$file: token.txt}\ndb: {$include: part.yaml#db}\nj: {$include: part.json}\n",
    )
    loaded = load_config([Path("conf/app-config.yaml")], cwd=tmp_path, environ={"TOKEN": "t", "DBPW": "pw"})
    assert loaded.data == {
        "token": "t",
        "file": "s3cret\n",
        "db": {"connection": {"host": "h", "password": "pw"}},
        "j": {"x": {"y": 2}},
    }
    redacted = loaded.redacted()
    assert redacted["token"] == redacted["file"] == "<secret>"
    assert redacted["db"]["connection"] == {"host": "h", "password": "<secret>"}
    assert "s3cret" not in str(redacted) and "pw" not in str(redacted)


def test_app_config_environment_overrides(tmp_path: Path) -> None:
    write(tmp_path / "app-config.yaml", "app: {title: File}\n")
    environ = {"APP_CONFIG_app_title": "Env", "APP_CONFIG_backend_listen_port": "8080"}
    loaded = load_config(cwd=tmp_path, environ=environ)
    assert loaded.data["app"]["title"] == "Env"
    assert loaded.data["backend"]["listen"]["port"] == 8080
    assert loaded.origin(("app", "title")) == "environment variable APP_CONFIG_app_title"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [1\n", "app-config.yaml:2: invalid YAML"),
        ("- 1\n", "the top level must be a mapping"),
        ("a: {$include: nowhere.yaml}\n", "a: $include cannot read"),
        ("a: {$include: x.yaml#missing.key}\n", "has no key 'missing.key'"),
        ("a: {$file: 5}\n", "$file needs a string"),
    ],
)
def test_errors_name_the_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path / "x.yaml", "present: 1\n")
    write(tmp_path / "app-config.yaml", text)
    with pytest.raises(ConfigError) as raised:
        load_config(cwd=tmp_path, environ={})
    assert expected in str(raised.value)
    assert str(tmp_path / "app-config.yaml") in str(raised.value)


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config([Path("nope.yaml")], cwd=tmp_path, environ={})


def test_typed_settings_defaults_and_errors_name_key_and_file_without_secrets(tmp_path: Path) -> None:
    write(tmp_path / "app-config.yaml", "app: {title: Portal}\nkept: {anything: [1]}\n")
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.app.title == "Portal"
    assert settings.backend.listen.port == 7007
    assert settings.catalog.orphan_strategy == "delete"

    write(tmp_path / "bad.yaml", "backend:\n  listen:\n    port: '${PORT}'\n")
    with pytest.raises(ConfigError) as raised:
        load_settings([Path("bad.yaml")], cwd=tmp_path, environ={"PORT": "not-a-port-s3cret"})
    message = str(raised.value)
    assert "bad.yaml: backend.listen.port:" in message
    assert "s3cret" not in message

    write(tmp_path / "kinds.yaml", "catalog:\n  kinds:\n    - kind: Environment\n      apiVersions: []\n")
    with pytest.raises(ConfigError, match=r"kinds.yaml: catalog.kinds.0.apiVersions"):
        load_settings([Path("kinds.yaml")], cwd=tmp_path, environ={})
