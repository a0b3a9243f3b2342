"""``callboard plugins new`` writes a package that passes its own tests unmodified, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callboard.plugins.scaffold import ScaffoldError, scaffold


def test_a_new_plugin_passes_its_own_tests_as_generated(tmp_path: Path) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "callboard", "plugins", "new", "team-links", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    package = tmp_path / "callboard-team-links"
    assert "Created" in made.stderr
    expected = {
        "pyproject.toml",
        "README.md",
        "src/callboard_team_links/__init__.py",
        "src/callboard_team_links/tables.py",
        "src/callboard_team_links/migrations/0001_items.py",
        "src/callboard_team_links/templates/index.html",
        "src/callboard_team_links/templates/team-links_card.html",
        "tests/conftest.py",
        "tests/test_plugin.py",
    }
    written = {str(path.relative_to(package)) for path in package.rglob("*") if path.is_file()}
    assert expected <= written
    assert 'team-links = "callboard_team_links"' in (package / "pyproject.toml").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        check=False,
        cwd=package,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "6 passed" in result.stdout  # three tests, each on SQLite and PostgreSQL


def test_bad_names_and_existing_folders_are_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="use 3 to 40 lower-case letters"):
        scaffold("Team Links!", tmp_path)
    scaffold("team-links", tmp_path)
    with pytest.raises(ScaffoldError, match="already exists; choose another name"):
        scaffold("team-links", tmp_path)
