"""Backstage's own @backstage/catalog-client, unmodified, against a running Callboard."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.catalog.fixtures import config, write_catalog
from tests.oracle.compare import ORACLE_DIR
from tests.support import TEST_TOKEN, FileServer, Server, database_for, make_runtime, write

REMOTE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: remote-service}
spec: {type: service, lifecycle: production, owner: team-a}
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_catalog_client_passes_every_call(tmp_path: Path, backend: str) -> None:
    if shutil.which("node") is None or not (ORACLE_DIR / "node_modules" / "@backstage" / "catalog-client").is_dir():
        pytest.fail("node and tests/oracle/node_modules are needed: run 'npm ci --prefix tests/oracle'")
    root = write_catalog(tmp_path / "repo")
    write(tmp_path / "remote" / "catalog-info.yaml", REMOTE)
    with database_for(backend, tmp_path) as database:
        cfg = config(root, database)
        cfg["backend"]["reading"] = {"allow": [{"host": "127.0.0.1"}]}  # type: ignore[index]
        runtime = make_runtime(cfg, tmp_path)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            with FileServer(tmp_path / "remote") as files, Server(runtime.web) as server:
                result = subprocess.run(
                    ["node", str(ORACLE_DIR / "catalog_client.js"), server.url, f"{files.url}/catalog-info.yaml"],
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                    env={**os.environ, "CALLBOARD_TOKEN": TEST_TOKEN},
                )
        finally:
            runtime.close()
    calls = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    failed = [call for call in calls if not call["ok"]]
    assert result.returncode == 0 and not failed, result.stderr + "\n".join(c["error"] for c in failed)
    assert len(calls) == 20
