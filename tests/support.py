"""Real parts for tests: a Callboard runtime on SQLite or PostgreSQL, served by uvicorn on a loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from callboard.app import Runtime, create_runtime
from callboard.assembly import create_callboard
from callboard.config_loader import LoadedConfig
from callboard.sdk.testing import PG_ADMIN, free_port, plugin_manager_with, postgres_database
from callboard.sdk.testing import LoopbackServer as Server
from callboard.sdk.testing import database_config as database_for
from callboard.settings import settings_from
from callboard.storage.db import Database, database_url
from callboard.storage.migrate import upgrade

__all__ = ["PG_ADMIN", "Server", "database_for", "free_port", "postgres_database"]


@contextlib.contextmanager
def migrated_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """Callboard's database, migrated, on ``sqlite`` or a fresh ``postgresql`` one (for tests below the runtime)."""
    with database_for(backend, tmp_path) as config:
        database = Database(database_url(config, tmp_path))
        upgrade(database)
        try:
            yield database
        finally:
            database.dispose()


#: A service token every test runtime accepts (``backend.auth.externalAccess``); clients send it.
TEST_TOKEN = "test-service-token-0123456789"
AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}


def with_test_access(config: dict[str, Any]) -> dict[str, Any]:
    """Add the tests' service token to a config (Callboard refuses to run with no way to authenticate)."""
    backend = config.setdefault("backend", {})
    backend.setdefault(
        "auth", {"externalAccess": [{"type": "static", "options": {"token": TEST_TOKEN, "subject": "service:tests"}}]}
    )
    return config


def make_runtime(config: dict[str, Any], cwd: Path, plugins: Mapping[str, ModuleType] | None = None) -> Runtime:
    """A runtime from ``config``; ``plugins`` (id → module) are installed beside the built-ins, as if by pip."""
    settings = settings_from(LoadedConfig(with_test_access(config), []))
    manager = plugin_manager_with(plugins) if plugins else None
    return create_runtime(create_callboard(settings, manager), cwd=cwd)


def fuzz_examples(count: int) -> int:
    """The example budget of a property or fuzz test: ``count`` in ``make test``, scaled when exploring
    (``HYPOTHESIS_PROFILE=fuzz CALLBOARD_FUZZ_SCALE=20 make pytest``)."""
    return count * int(os.environ.get("CALLBOARD_FUZZ_SCALE", "1"))


def raw_http(url: str, lines: list[str], body: bytes = b"", *, timeout: float = 10) -> tuple[int, bytes]:
    """Send a request exactly as written (header case, duplicates and a lying Content-Length kept), ending
    with ``Connection: close``; the status and the whole answer."""
    host, port = url.removeprefix("http://").split(":")
    head = [*lines, f"Host: {host}:{port}", "Connection: close"]
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url + "/api/catalog", timeout=30, headers=AUTH)


class FileServer:
    """A real HTTP server on loopback serving a folder: the 'remote repository' for url locations."""

    def __init__(self, root: Path) -> None:
        import functools
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

        class Quiet(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def wait_until_ready(url: str, process: subprocess.Popen[Any], log: Path, seconds: float = 120) -> None:
    """Wait for a Callboard process started by a test to answer its readiness route; fail with its log if it
    exits or does not answer in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url} exited: {log.read_text('utf-8')[-3000:]}"
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/.backstage/health/v1/readiness", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise AssertionError(f"{url} did not become ready in {seconds:g} s: {log.read_text('utf-8')[-3000:]}")
