"""Backstage's app-config keys: the table people read ("Coming from Backstage") is the one `config check` uses,
and the check names the file and key of each ignored setting that would change behaviour."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from callboard.backstage_config import KEYS, ignored_with_effect
from callboard.cli import cli

DOCS = Path(__file__).resolve().parent.parent / "docs" / "backstage.md"


def test_the_docs_list_every_key_with_its_status() -> None:
    text = DOCS.read_text("utf-8")
    words = {"honoured": "honoured", "differently": "honoured differently", "ignored": "ignored"}
    for key in KEYS:
        row = f"| `{key.path}` | {words[key.status]}{' ⚠' if key.changes else ''} |"
        assert row in text, f"docs/backstage.md lacks the row for {key.path}: {row}"
    assert len({key.path for key in KEYS}) == len(KEYS)


def test_ignored_keys_that_change_behaviour_are_found_by_their_path() -> None:
    data = {
        "backend": {"cors": {"origin": "https://x"}, "database": {"client": "pg", "ensureExists": False}},
        "auth": {"providers": {"oidc": {"production": {"clientId": "x"}}, "google": {"production": {}}}},
        "app": {"support": {"url": "https://help"}},  # ignored, but nothing a user relies on changes
    }
    found = [".".join(path) for path, _ in ignored_with_effect(data)]
    assert found == ["backend.cors", "backend.database.ensureExists", "auth.providers.google"]


def test_config_check_warns_with_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "app-config.yaml"
    path.write_text(yaml.safe_dump({"catalog": {"providers": {"gitlab": {"default": {"host": "gitlab.com"}}}}}))
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert f"warning: {path}: catalog.providers.gitlab is a Backstage setting Callboard ignores" in (
        result.output.replace("\n", " ")
    )
