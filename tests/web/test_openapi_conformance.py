"""Schemathesis against a running portal, authenticated: every operation of /api/openapi.json, fuzzed and
driven through its phases (examples, coverage, fuzzing, stateful) with a fixed seed and example count, so
every run sends the same requests. No 5xx, only
documented statuses and content types, schema-valid requests accepted, Allow on 405.

The run's report is kept in build/test-output/schemathesis.txt; ``st replay <id>`` reproduces a failure.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callboard.app import Runtime
from tests.catalog.fixtures import config, write_catalog
from tests.support import TEST_TOKEN, Server, make_runtime, write

HERE = Path(__file__).resolve().parent
REPORT = HERE.parent.parent / "build" / "test-output" / "schemathesis.txt"

TEMPLATE = """\
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: hello, title: Hello}
spec:
  type: service
  owner: team-a
  parameters:
    - properties: {name: {type: string}}
  steps:
    - {id: log, action: debug:log, input: {message: "hello ${{ parameters.name }}"}}
"""


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Runtime]]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    root = write_catalog(tmp / "repo")
    write(tmp / "repo" / "template.yaml", TEMPLATE)
    cfg: dict[str, Any] = config(root, {"connection": str(tmp / "db.sqlite")})
    cfg["catalog"]["locations"].append({"type": "file", "target": str(tmp / "repo" / "template.yaml")})
    runtime = make_runtime(cfg, tmp)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        runtime.start_background()
        with Server(runtime.web) as server:
            yield server.url, runtime
    finally:
        runtime.close()


@pytest.mark.timeout(1200)  # thousands of generated requests; slower than the suite's 300 s per test
def test_the_api_conforms_to_its_openapi_document(portal: tuple[str, Runtime]) -> None:
    url, _ = portal
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{url}/api/openapi.json",
        "--header",
        f"Authorization: Bearer {TEST_TOKEN}",
        # One worker: Hypothesis, which generates the cases, is not thread-safe.
        "--workers",
        "1",
        # Event streams stay open for as long as their task runs or their reader listens: they are tested in
        # test_scaffolder_tasks.py and in the change events plugin's tests.
        "--exclude-path-regex",
        "(eventstream|/change-events/stream)$",
        "--no-color",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(done.stdout + done.stderr, "utf-8")
    assert done.returncode == 0, f"schemathesis found problems (report: {REPORT}):\n{done.stdout[-6000:]}"
    assert "No issues found" in done.stdout or "passed" in done.stdout.lower(), done.stdout[-2000:]
