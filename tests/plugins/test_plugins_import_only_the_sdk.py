"""Plugin packages in plugins/ and the skeleton `callboard plugins new` writes use only callboard.sdk (and
callboard.sdk.testing in their tests), as an installed plugin must: if one needs more, the SDK has a gap."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("callboard.sdk",)


def _sources() -> list[Path]:
    found = sorted((ROOT / "plugins").rglob("*.py"))
    found += sorted((ROOT / "src" / "callboard" / "plugins" / "skeleton").rglob("*.py.tmpl"))
    return [path for path in found if "build" not in path.parts]


def _callboard_imports(path: Path) -> list[str]:
    text = path.read_text("utf-8").replace("{{ module }}", "plugin_module")
    names = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return [name for name in names if name == "callboard" or name.startswith("callboard.")]


@pytest.mark.parametrize("path", _sources(), ids=lambda path: str(path.relative_to(ROOT)))
def test_plugin_code_imports_only_the_sdk(path: Path) -> None:
    outside = [name for name in _callboard_imports(path) if not name.startswith(ALLOWED)]
    assert not outside, f"{path.relative_to(ROOT)} imports {outside}; add what it needs to callboard.sdk"


def test_there_is_plugin_code_to_check() -> None:
    paths = {str(path.relative_to(ROOT)) for path in _sources()}
    assert "plugins/announcements/src/callboard_announcements/__init__.py" in paths
    assert "src/callboard/plugins/skeleton/src/module/__init__.py.tmpl" in paths
