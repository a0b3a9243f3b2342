"""Real parts for tests: a Callboard runtime on SQLite or PostgreSQL, served by uvicorn on a loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn

from callboard.app import Runtime, create_callboard, create_runtime
from callboard.config_loader import LoadedConfig
from callboard.core.limits import REQUEST_HEAD_BYTES
from callboard.settings import settings_from

PG_ADMIN = os.environ.get("CALLBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards; yields its URL."""
    name = f"callboard_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def database_for(backend: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``backend.database`` config for ``sqlite`` (a file in tmp_path) or ``postgresql`` (a fresh database)."""
    if backend == "sqlite":
        yield {"client": "better-sqlite3", "connection": {"filename": str(tmp_path / "callboard.db")}}
    else:
        with postgres_database() as url:
            yield {"connection": url}


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


def make_runtime(config: dict[str, Any], cwd: Path) -> Runtime:
    settings = settings_from(LoadedConfig(with_test_access(config), []))
    return create_runtime(create_callboard(settings), cwd=cwd)


def fuzz_examples(count: int) -> int:
    """The example budget of a property or fuzz test: ``count`` in ``make test``, scaled when exploring
    (``HYPOTHESIS_PROFILE=fuzz CALLBOARD_FUZZ_SCALE=20 make pytest``)."""
    return count * int(os.environ.get("CALLBOARD_FUZZ_SCALE", "1"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """uvicorn serving an ASGI app on 127.0.0.1 in a thread, for tests that talk real HTTP."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", h11_max_incomplete_event_size=REQUEST_HEAD_BYTES
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)


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
