"""callboard catalog export / import: a round trip through JSON lines is exact (uids and etags included)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.catalog.fixtures import config, write_catalog
from tests.support import database_for


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callboard", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_export_import_round_trip_is_exact(tmp_path: Path, backend: str) -> None:
    root = write_catalog(tmp_path / "repo")
    source = tmp_path / "source"
    source.mkdir()
    (source / "app-config.yaml").write_text(yaml.safe_dump(config(root, {"connection": str(source / "a.db")})))
    from tests.support import make_runtime

    runtime = make_runtime(config(root, {"connection": str(source / "a.db")}), source)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
    finally:
        runtime.close()
    exported = run("catalog", "export", "--output", str(tmp_path / "export.jsonl"), cwd=source)
    assert exported.returncode == 0, exported.stderr
    lines = (tmp_path / "export.jsonl").read_text().splitlines()
    assert len(lines) == 13
    assert [json.loads(line)["metadata"]["name"] for line in lines][:2] == ["artist-api", "artist-lookup"]

    target = tmp_path / "target"
    target.mkdir()
    with database_for(backend, target) as database:
        (target / "app-config.yaml").write_text(
            yaml.safe_dump({"backend": {"database": database}, "catalog": {"rules": [{"allow": ["Location"]}]}})
        )
        imported = run("catalog", "import", str(tmp_path / "export.jsonl"), cwd=target)
        assert imported.returncode == 0, imported.stderr
        assert "imported 13 entities" in imported.stderr
        again = run("catalog", "export", cwd=target)
        assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == lines


def test_import_of_a_bad_file_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"kind": "Component"}\n')
    result = run("catalog", "import", "bad.jsonl", cwd=tmp_path)
    assert result.returncode == 1
    assert "bad.jsonl:1: not an exported entity" in result.stderr
