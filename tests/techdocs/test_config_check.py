"""A repository's mkdocs.yml is input from whoever can push to it: building its docs must not run its code,
read the server's environment or files, or reach outside its own folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from callboard.core.errors import InputError
from callboard.techdocs.builder import BuildError, build_site
from tests.support import write

MARKER = "callboard-techdocs-pwned"


def _site(tmp_path: Path, config: str, page: str = "# Hello\n") -> Path:
    source = tmp_path / "docs-src"
    write(source / "mkdocs.yml", config)
    write(source / "docs" / "index.md", page)
    write(source / "hooks.py", f"import pathlib\npathlib.Path({str(tmp_path / MARKER)!r}).write_text('x')\n")
    return source


HOSTILE = [
    ("site_name: x\nhooks:\n  - hooks.py\n", "hooks"),
    (f"site_name: !!python/object/apply:os.system ['touch {MARKER}']\n", "python/object"),
    ("site_name: !!python/name:os.system\n", "python/name:os.system"),
    ("site_name: !!python/module:os\n", "python/module"),
    ("site_name: !ENV CALLBOARD_TEST_SECRET\n", "!ENV"),
    ("site_name: x\ndocs_dir: /etc\n", "docs_dir"),
    ("site_name: x\ndocs_dir: ../../\n", "docs_dir"),
    ("site_name: x\ntheme:\n  name: material\n  custom_dir: /etc\n", "custom_dir"),
    ("INHERIT: /etc/mkdocs-base.yml\nsite_name: x\n", "INHERIT"),
    (
        "site_name: x\nmarkdown_extensions:\n  - pymdownx.snippets:\n      base_path: ['/']\n",
        "base_path",
    ),
]


@pytest.mark.parametrize(("config", "key"), HOSTILE, ids=[key for _, key in HOSTILE])
def test_configs_that_would_run_code_or_read_the_server_are_refused(tmp_path: Path, config: str, key: str) -> None:
    source = _site(tmp_path, config)
    os.environ["CALLBOARD_TEST_SECRET"] = "s3cret-from-the-environment"
    try:
        with pytest.raises((InputError, BuildError)) as refused:
            build_site(source, tmp_path / "out")
    finally:
        del os.environ["CALLBOARD_TEST_SECRET"]
    message = getattr(refused.value, "message", str(refused.value))
    assert key in message and "mkdocs.yml" in message, message
    assert not (tmp_path / MARKER).exists() and not (source / MARKER).exists()
    assert not (tmp_path / "out").exists()


def test_the_build_sees_none_of_the_servers_environment(tmp_path: Path) -> None:
    page = "# Env\n\n{{ config.extra.home }}\n"
    source = _site(tmp_path, "site_name: env\n", page)
    os.environ["CALLBOARD_TEST_SECRET"] = "s3cret-from-the-environment"
    try:
        result = build_site(source, tmp_path / "out")
    finally:
        del os.environ["CALLBOARD_TEST_SECRET"]
    assert "s3cret" not in result.log
    assert all("s3cret" not in path.read_text("utf-8", "replace") for path in (tmp_path / "out").rglob("*.html"))


def test_ordinary_configs_with_material_extensions_still_build(tmp_path: Path) -> None:
    config = (
        "site_name: ok\ntheme:\n  name: material\n  custom_dir: overrides\nmarkdown_extensions:\n"
        "  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "      emoji_generator: !!python/name:material.extensions.emoji.to_svg\n"
        "  - pymdownx.snippets:\n      base_path: [docs]\n"
    )
    source = _site(tmp_path, config, "# Ok :smile:\n")
    (source / "overrides").mkdir()
    result = build_site(source, tmp_path / "out")
    assert (tmp_path / "out" / "index.html").is_file(), result.log
