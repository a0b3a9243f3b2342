"""The commands people run most start without the web server's stack or a database driver (issue: each command
took about three seconds, even --help). The time itself is measured by benchmarks/cli_startup.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: Loaded only by commands that serve pages or open a database.
HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "alembic", "jinja2", "authlib", "boto3", "ldap3")

PROBE = """
import json, sys
from callboard.cli import main
sys.argv = ["callboard", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nLOADED " + json.dumps(sorted({name.split(".")[0] for name in sys.modules})) + "\\n")
"""


def _loaded(*arguments: str) -> tuple[set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(arguments)], capture_output=True, text=True, timeout=120, check=False
    )
    marker = done.stderr.rsplit("LOADED ", 1)
    assert len(marker) == 2, done.stderr
    return set(json.loads(marker[1])), done.stdout


@pytest.mark.parametrize("arguments", [("--help",), ("version",), ("catalog", "--help")])
def test_help_and_version_load_no_web_stack(arguments: tuple[str, ...]) -> None:
    loaded, output = _loaded(*arguments)
    assert output  # the command did its job
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_validate_loads_no_web_stack_and_still_knows_plugin_config(tmp_path: Path) -> None:
    descriptor = tmp_path / "catalog-info.yaml"
    descriptor.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: payments}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n",
        "utf-8",
    )
    loaded, output = _loaded("catalog", "validate", str(descriptor))
    assert "1 entity in 1 file: 1 valid, 0 invalid" in output
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_plugin_commands_are_still_listed() -> None:
    # Plugins are loaded before every command: their commands appear in --help, without their web routes.
    _, output = _loaded("--help")
    assert "aws" in output and "events" in output
