"""``callboard serve`` with two or more cores runs background work in a child ``callboard worker``: the
catalog fills while the web process only answers, a worker that dies is started again, and stopping the
server (or killing it outright) stops the worker too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from tests.catalog.fixtures import config, write_catalog
from tests.support import AUTH, free_port, with_test_access


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def command_line(pid: int) -> str:
    return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()


def live_children(pid: int) -> list[int]:
    return [child for child in children(pid) if alive(child)]


def wait_until(check: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {check}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = (Path("/proc") / str(pid) / "stat").read_text() if Path(f"/proc/{pid}").exists() else ""
    return " Z " not in stat  # a zombie has exited


def write_config(tmp_path: Path) -> int:
    """An app-config.yaml in ``tmp_path`` for a portal on a free port (returned) with the example catalog."""
    port = free_port()
    cfg = with_test_access(config(write_catalog(tmp_path / "repo"), {"connection": str(tmp_path / "db.sqlite")}))
    cfg["backend"].update({"listen": {"host": "127.0.0.1", "port": port}, "baseUrl": f"http://127.0.0.1:{port}"})  # type: ignore[union-attr]
    cfg["auth"] = {"environment": "development", "providers": {"guest": {}}}
    (tmp_path / "app-config.yaml").write_text(yaml.safe_dump(cfg))
    return port


def test_serve_runs_background_work_in_a_worker_process(tmp_path: Path) -> None:
    port = write_config(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "callboard", "serve", "--config", "app-config.yaml", "--worker-process"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/catalog/entities/by-query?filter=kind=component"

        def served() -> bool:
            try:
                return httpx.get(url, headers=AUTH).json()["totalItems"] == 3
            except (httpx.HTTPError, KeyError, ValueError):
                return False

        wait_until(served)
        (worker,) = children(server.pid)
        assert f"callboard worker --exit-with {server.pid} --config {tmp_path / 'app-config.yaml'}" in command_line(
            worker
        )
        assert os.getpriority(os.PRIO_PROCESS, worker) - os.getpriority(os.PRIO_PROCESS, server.pid) == 10
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: [pid for pid in children(server.pid) if pid != worker and alive(pid)], timeout=30)
        (restarted,) = [pid for pid in children(server.pid) if alive(pid)]
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        wait_until(lambda: not alive(restarted), timeout=30)
        assert server.stderr is not None
        assert "background work in a worker process" in server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stderr is not None:
            server.stderr.close()


def test_a_worker_leaves_when_its_server_is_killed_outright(tmp_path: Path) -> None:
    write_config(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "callboard", "serve", "--config", "app-config.yaml", "--worker-process"],
        cwd=tmp_path,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The worker: the one live child (a short-lived command the server runs at start-up may come and go).
        wait_until(lambda: len(live_children(server.pid)) == 1)
        (worker,) = live_children(server.pid)
        server.kill()
        server.wait(10)
        wait_until(lambda: not alive(worker), timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
