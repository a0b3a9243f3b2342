"""Stopping the portal as a service manager does (SIGTERM): it finishes its work and closes what it opened."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support import free_port, wait_until_ready, with_test_access


def test_sigterm_closes_the_runtime_before_the_process_exits(tmp_path: Path) -> None:
    """uvicorn raises SIGTERM again after its graceful stop; by default that ended the process before the
    runtime was closed, so plugins' shutdown hooks never ran (the demo left its Prometheus running)."""
    config = tmp_path / "app-config.yaml"
    config.write_text(
        yaml.safe_dump(with_test_access({"backend": {"database": {"connection": f"sqlite:///{tmp_path}/cb.db"}}}))
    )
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w+") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("callboard")), "serve", "-c", str(config), "--port", str(port)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            wait_until_ready(f"http://127.0.0.1:{port}", server, log_path)
            server.send_signal(signal.SIGTERM)
            assert server.wait(30) == 128 + signal.SIGTERM  # exited through Python, not killed by the signal
        finally:
            if server.poll() is None:
                server.kill()
    assert "Callboard stopped" in log_path.read_text()
