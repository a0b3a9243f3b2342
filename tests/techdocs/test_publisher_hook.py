"""Where docs are kept is a plugin away: ``techdocs.publisher.type`` picks the plugin that answers
``docs_publisher``; local is the built-in one; a type nobody answers for stops start-up with the fix."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import yaml

from callboard.config_loader import ConfigError
from callboard.sdk import DocsPublisher, LocalPublisher, hookimpl
from tests.support import make_runtime, write

PUBLISH = [sys.executable, "-m", "callboard", "docs", "publish", "--entity", "default/component/x"]


class MirrorPublisher(LocalPublisher):
    """A stand-in for remote storage: sites under a folder named in config."""


def mirror_plugin() -> types.ModuleType:
    module = types.ModuleType("mirror_docs")
    module.CALLBOARD_PLUGIN_API = "1.1"  # type: ignore[attr-defined]

    def docs_publisher(config: dict[str, Any], data_dir: Path) -> DocsPublisher | None:
        publisher = config.get("publisher") or {}
        if publisher.get("type") != "mirror":
            return None
        return MirrorPublisher(Path(publisher["mirror"]["folder"]))

    module.docs_publisher = hookimpl(docs_publisher)  # type: ignore[attr-defined]
    return module


def test_the_configured_type_picks_the_plugin_publisher(tmp_path: Path) -> None:
    config = {"techdocs": {"publisher": {"type": "mirror", "mirror": {"folder": str(tmp_path / "bucket")}}}}
    runtime = make_runtime(config, tmp_path, plugins={"mirror": mirror_plugin()})
    try:
        assert isinstance(runtime.techdocs.publisher, MirrorPublisher)
        assert runtime.techdocs.publisher.root == tmp_path / "bucket"
    finally:
        runtime.close()
    local = make_runtime({}, tmp_path / "plain", plugins={"mirror": mirror_plugin()})
    try:
        assert type(local.techdocs.publisher) is LocalPublisher  # the built-in answers for the default
    finally:
        local.close()


def test_a_type_no_plugin_answers_for_names_the_key_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"techdocs\.publisher\.type 'awsS3': no installed plugin keeps docs there"):
        make_runtime({"techdocs": {"publisher": {"type": "awsS3"}}}, tmp_path)


def test_docs_publish_on_the_command_line_uses_the_same_publisher(tmp_path: Path) -> None:
    site = write(tmp_path / "site" / "index.html", "<h1>Hello</h1>").parent
    write(tmp_path / "site" / "techdocs_metadata.json", '{"site_name": "x"}')
    config = tmp_path / "app-config.yaml"
    config.write_text(yaml.safe_dump({"techdocs": {"publisher": {"type": "awsS3"}}}))
    refused = subprocess.run(
        [*PUBLISH, "--directory", str(site), "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert refused.returncode == 2 and "no installed plugin keeps docs there" in refused.stderr
    config.write_text(yaml.safe_dump({"techdocs": {"publisher": {"type": "local"}}}))
    published = subprocess.run(
        [*PUBLISH, "--directory", str(site), "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert published.returncode == 0, published.stderr
    assert (tmp_path / "data" / "techdocs" / "default" / "component" / "x" / "index.html").is_file()
