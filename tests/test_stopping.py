"""Stopping the portal as a service manager does (SIGTERM): it finishes its work and closes what it opened."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from callboard.sdk import ScheduledTask, hookimpl
from tests.support import free_port, make_runtime, wait_until_ready, with_test_access


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


def _watcher_plugin(listens: bool) -> ModuleType:
    """A plugin whose scheduled run watches something until told to stop, as the deployments plugin watches
    clusters; with ``listens`` it implements the ``stopping`` hook (plugin API 1.10)."""
    plugin = ModuleType("watcher_plugin")
    told = threading.Event()
    started = threading.Event()

    def watch() -> None:
        started.set()
        told.wait(60)

    plugin.CALLBOARD_PLUGIN_API = "1.10"  # type: ignore[attr-defined]
    plugin.register_scheduled_tasks = hookimpl(  # type: ignore[attr-defined]
        lambda context: [ScheduledTask("watch", watch, every_seconds=1.0, timeout_seconds=120.0)]
    )
    plugin.started = started  # type: ignore[attr-defined]
    if listens:
        plugin.stopping = hookimpl(lambda context: told.set())  # type: ignore[attr-defined]
    plugin.shutdown = hookimpl(lambda context: told.set())  # type: ignore[attr-defined]
    return plugin


@pytest.mark.parametrize("listens", [True, False])
def test_a_long_scheduled_run_is_told_the_portal_is_stopping_before_the_portal_waits_for_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, listens: bool
) -> None:
    """Runs in progress are waited for (10 s) before plugins shut down; a plugin's run that lasts until its
    plugin stops held every stop of the demo for those 10 s. The ``stopping`` hook comes before the wait; a
    run that still does not end is named in a warning."""
    plugin = _watcher_plugin(listens)
    database = {"connection": f"sqlite:///{tmp_path}/cb.db"}
    runtime = make_runtime({"backend": {"database": database}}, tmp_path, plugins={"watcher": plugin})
    runtime.scheduler.start()
    assert plugin.started.wait(30)
    with caplog.at_level(logging.WARNING, logger="callboard.scheduler.service"):
        runtime.close()
    left_behind = [record.getMessage() for record in caplog.records if "left behind" in record.getMessage()]
    if listens:
        assert left_behind == []
    else:
        assert left_behind == ["scheduled runs still in progress after 10 s, left behind: watcher.watch"]
