"""Log lines as a log collector reads them: JSON objects with the id of the request that wrote them, which the
response carries in X-Request-Id; text for a person in development."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from callboard.logs import log_format
from tests.support import AUTH, free_port, wait_until_ready, with_test_access

CALLBOARD = str(Path(sys.executable).with_name("callboard"))


def test_json_unless_in_development_and_the_variable_decides() -> None:
    assert log_format("production", {}) == "json"
    assert log_format("development", {}) == "text"
    assert log_format("development", {"CALLBOARD_LOG_FORMAT": "json"}) == "json"
    assert log_format("production", {"CALLBOARD_LOG_FORMAT": "TEXT"}) == "text"


def test_served_requests_log_json_lines_carrying_the_request_id(tmp_path: Path) -> None:
    config = tmp_path / "app-config.yaml"
    config.write_text(
        yaml.safe_dump(with_test_access({"backend": {"database": {"connection": f"sqlite:///{tmp_path}/cb.db"}}}))
    )
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("callboard")),
            "serve",
            "-c",
            str(config),
            "--port",
            str(port),
            "--in-process",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, "CALLBOARD_LOG_FORMAT": "json"},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(url, server, tmp_path / "serve.log")
        given = httpx.get(f"{url}/api/proxy/nowhere", headers={**AUTH, "X-Request-Id": "lb-0123456789abcdef"})
        assert given.headers["x-request-id"] == "lb-0123456789abcdef"
        made = httpx.get(f"{url}/api/catalog/entities", headers={**AUTH, "X-Request-Id": "bad id with spaces"})
        assert len(made.headers["x-request-id"]) == 32 and made.headers["x-request-id"] != "bad id with spaces"
        time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    lines = [json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "lb-0123456789abcdef"]
    # The audit line the proxy wrote while serving the request, and the request's access line.
    assert {line["logger"] for line in mine} >= {"callboard.audit", "callboard.access"}, mine
    access = next(line for line in mine if line["logger"] == "callboard.access")
    assert access["route"] == "/api/proxy/{rest:path}" and access["status"] == 404 and access["level"] == "INFO"
    assert {"time", "level", "logger", "message"} <= access.keys()


def test_libraries_chatter_only_at_debug_and_the_demo_is_quiet() -> None:
    import logging

    from callboard.logs import configure_logging

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("development", {})
        assert root.level == logging.INFO and logging.getLogger("alembic").level == logging.WARNING
        configure_logging("development", {"LOG_LEVEL": "debug"})
        assert logging.getLogger("httpx").level == logging.DEBUG
        configure_logging("development", {}, default_level="warning")  # what `callboard demo` asks for
        assert root.level == logging.WARNING
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name in ("alembic", "httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.NOTSET)
