"""pytest fixtures for plugin authors: a real portal with your plugin installed, on SQLite and on PostgreSQL.

In your plugin's ``tests/conftest.py``::

    import my_plugin

    pytest_plugins = ["callboard.sdk.testing"]

    @pytest.fixture
    def callboard_plugins():
        return {"my-plugin": my_plugin}     # plugin id -> module, registered as if installed

Then these fixtures are yours: ``portal`` (the running parts: ``portal.runtime``, ``portal.run_task(id)``,
``portal.url``), ``client`` (an HTTP client of the portal, served on loopback, signed in as
``identity``), ``identity``, ``anonymous_client`` and ``clock`` (a fake clock the scheduler and your
plugin's ``context.now()`` read). ``portal`` runs every test twice, on SQLite and on PostgreSQL
(``CALLBOARD_TEST_PG``, default ``postgresql://postgres@127.0.0.1:5432/postgres``; a fresh database per
test). Override ``callboard_config`` to add app-config (``plugins.<id>``, ``permission``...).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn

from callboard import __version__
from callboard.app import HTTP_PROTOCOL, Runtime, create_runtime
from callboard.assembly import BUILTIN_PLUGINS, create_callboard
from callboard.config_loader import LoadedConfig
from callboard.core.identity import Identity
from callboard.core.permissions import SYSTEM
from callboard.plugins.manager import PluginManager
from callboard.settings import settings_from

# The vendors' stand-ins and what their data is made of, for integration plugins' tests (re-exported).
from callboard.standins import VendorStandIns
from callboard.standins.github_org import Member as GitHubMember  # noqa: F401
from callboard.standins.github_org import Organisation as GitHubOrganisation  # noqa: F401
from callboard.standins.github_org import OrgTeam as GitHubTeam  # noqa: F401
from callboard.standins.jira import Jira as JiraStandIn  # noqa: F401
from callboard.standins.msgraph import GraphGroup, GraphUser  # noqa: F401
from callboard.standins.pagerduty import Level as PagerDutyLevel  # noqa: F401
from callboard.standins.pagerduty import Person as PagerDutyPerson  # noqa: F401
from callboard.standins.pagerduty import Service as PagerDutyService  # noqa: F401

PG_ADMIN = os.environ.get("CALLBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SERVICE_TOKEN = "callboard-testing-service-token-0123"


class FakeClock:
    """Time that moves only when a test says so; starts at a fixed instant (2026-01-01 00:00 UTC)."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class LoopbackServer:
    """uvicorn serving an ASGI app on 127.0.0.1 in a thread: tests talk real HTTP to a real server."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", http=HTTP_PROTOCOL)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Portal:
    """A running portal: its runtime, the plugin manager it was built with, and where it is served."""

    runtime: Runtime
    plugins: PluginManager
    clock: FakeClock
    backend: str
    url: str

    @property
    def scheduler(self) -> Any:
        return self.runtime.scheduler

    def run_task(self, task_id: str) -> str:
        """Run one scheduled task now, wait for it, and return how it ended (``succeeded``, ``failed: ...``)."""
        run = self.runtime.scheduler.run_now(task_id, by="test")
        return run.status if run.error is None else f"{run.status}: {run.error}"

    def process_catalog(self) -> None:
        """Let the catalog process and stitch what providers and locations gave, as the worker would (it reads
        the locations of ``catalog.locations`` in app-config first)."""
        self.runtime.catalog.sync_locations()
        self.runtime.engine.run_until_idle(60)

    def token_for(self, identity: Identity) -> str:
        return self.runtime.auth.tokens.issue(identity)

    def audit_entries(self, *, actions: Sequence[str] = (), actor: str | None = None) -> list[dict[str, Any]]:
        """What the audit log holds (newest first), read as the portal itself: for checking that a plugin's
        writes are audited."""
        return self.runtime.audit.read(SYSTEM, actor=actor, actions=actions)


def plugin_manager_with(extra: Mapping[str, ModuleType]) -> PluginManager:
    """Callboard's built-in plugins and ``extra`` (plugin id → module), registered as installed ones are."""
    manager = PluginManager()
    for module_name in BUILTIN_PLUGINS:
        manager.register(import_module(module_name), module_name.rsplit(".", 1)[-1], "callboard", __version__)
    for name, module in extra.items():
        manager.register(module, name, getattr(module, "__name__", name))
    return manager


@pytest.fixture
def callboard_plugins() -> Mapping[str, ModuleType]:
    """Override: the plugins to install, by plugin id."""
    return {}


@pytest.fixture
def callboard_config() -> dict[str, Any]:
    """Override: app-config for the portal (merged over the fixtures' own database and auth settings)."""
    return {}


@pytest.fixture
def vendors() -> Iterator[VendorStandIns]:
    """Local stand-ins for GitHub, GitLab, PagerDuty and Jira on one loopback port (``vendors.url``), for
    integration plugins' tests: ``vendors.github``... hold their data and count the calls they answer."""
    with VendorStandIns() as stand_ins:
        yield stand_ins


@pytest.fixture
def identity() -> Identity:
    """Override: who ``client`` is signed in as."""
    return Identity("user", "user:default/tester", ("user:default/tester", "group:default/testers"), "Tester")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", "postgresql"])
def portal(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    callboard_plugins: Mapping[str, ModuleType],
    callboard_config: dict[str, Any],
    clock: FakeClock,
) -> Iterator[Portal]:
    backend = str(request.param)
    with database_config(backend, tmp_path) as database:
        config = {
            "backend": {
                "database": database,
                "auth": {
                    "externalAccess": [
                        {"type": "static", "options": {"token": SERVICE_TOKEN, "subject": "service:tests"}}
                    ]
                },
            },
            "app": {"baseUrl": "http://localhost"},
            "dataDir": str(tmp_path / "data"),
        }
        config = _merge(config, callboard_config)
        settings = settings_from(LoadedConfig(config, []))
        manager = plugin_manager_with(callboard_plugins)
        runtime = create_runtime(create_callboard(settings, manager), cwd=tmp_path, clock=clock)
        try:
            with LoopbackServer(runtime.web) as server:
                yield Portal(runtime, manager, clock, backend, server.url)
        finally:
            runtime.close()


@pytest.fixture
def client(portal: Portal, identity: Identity) -> Iterator[httpx.Client]:
    """An HTTP client of the portal, signed in as ``identity`` (a bearer token the portal issued)."""
    headers = {"Authorization": f"Bearer {portal.token_for(identity)}"}
    with httpx.Client(base_url=portal.url, headers=headers, timeout=30) as http:
        yield http


@pytest.fixture
def anonymous_client(portal: Portal) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=portal.url, timeout=30) as http:
        yield http


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test on ``CALLBOARD_TEST_PG``, dropped afterwards; yields its URL."""
    name = f"callboard_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL at {PG_ADMIN} is not reachable ({error}); start one or set CALLBOARD_TEST_PG to a "
            "server where this user may create databases"
        )
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def database_config(backend: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``backend.database`` for ``sqlite`` (a file in ``tmp_path``) or ``postgresql`` (a fresh database)."""
    if backend == "sqlite":
        yield {"client": "better-sqlite3", "connection": {"filename": str(tmp_path / "callboard.db")}}
    else:
        with postgres_database() as url:
            yield {"connection": url}


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
