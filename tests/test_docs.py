"""The user documentation builds as an mkdocs site (Callboard documents itself with its own TechDocs), every
page is reachable from its navigation, and the README's set-up commands are real targets CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def _nav_pages(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in _nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _nav_pages(value)]
    return []


def test_docs_build_strictly_with_every_page_in_the_navigation(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    in_nav = set(_nav_pages(config["nav"]))
    written = {str(path.relative_to(REPO / "docs")) for path in (REPO / "docs").rglob("*.md")}
    assert written == in_nav, (
        f"pages not in the navigation: {sorted(written - in_nav)}; missing: {sorted(in_nav - written)}"
    )
    for page in in_nav:
        built = page.removesuffix(".md")
        built = "index.html" if built == "index" else f"{built.removesuffix('/index')}/index.html"
        assert (tmp_path / "site" / built).is_file(), page


def test_the_readme_set_up_commands_are_targets_that_make_can_plan() -> None:
    readme = (REPO / "README.md").read_text()
    commands = set(re.findall(r"^make (\w+)", readme, re.MULTILINE))
    assert {"demo", "test"} <= commands
    for target in sorted(commands):
        planned = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, check=False)
        assert planned.returncode == 0, f"make {target}: {planned.stderr}"
    planned_test = subprocess.run(["make", "-n", "test"], cwd=REPO, capture_output=True, text=True, check=False)
    assert "pytest" in planned_test.stdout
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^\s*make test\b", ci, re.MULTILINE), ".ci/run must call make test"
