"""Backend plugins as the portal assembles them: settings validated with the file and key named, secrets
redacted, ids and permission names checked, tables migrated on SQLite and PostgreSQL, the HTTP client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from callboard.assembly import create_callboard
from callboard.config_loader import ConfigError, LoadedConfig
from callboard.core.errors import NotFoundError
from callboard.plugins.manager import PluginError
from callboard.sdk.testing import plugin_manager_with
from callboard.settings import load_settings, settings_from
from callboard.sources.http import ClientTarget, build_client
from tests.plugins import probe_plugin
from tests.support import AUTH, Server, database_for, make_runtime


def test_plugin_settings_errors_name_the_file_the_key_and_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "app-config.yaml"
    path.write_text(yaml.safe_dump({"plugins": {"probe": {"retries": 99}}}))
    with pytest.raises(ConfigError) as raised:
        create_callboard(load_settings([path]), plugin_manager_with({"probe": probe_plugin}))
    assert f"{path}" in str(raised.value) and "plugins.probe.retries" in str(raised.value)
    assert "less than or equal to 10" in str(raised.value)


def test_a_key_a_plugin_shares_under_catalog_is_named_from_the_top_when_wrong(tmp_path: Path) -> None:
    # The org plugin reads Backstage's catalog.providers.ldapOrg (a dotted shared key, plugin API 1.8).
    import callboard_org

    path = tmp_path / "app-config.yaml"
    wrong = {"target": "https://ds.example", "users": {"dn": "ou=people,dc=example"}}
    path.write_text(yaml.safe_dump({"catalog": {"providers": {"ldapOrg": {"corp": wrong}}}}))
    with pytest.raises(ConfigError) as raised:
        create_callboard(load_settings([path]), plugin_manager_with({"org": callboard_org}))
    assert f"{path}: catalog.providers.ldapOrg.corp.target:" in str(raised.value)
    assert "ldap://host:port" in str(raised.value)


def test_plugin_secrets_are_redacted_in_config_print(tmp_path: Path) -> None:
    loaded = LoadedConfig({"plugins": {"probe": {"apiToken": "s3cr3t-value", "greeting": "hi"}}}, [])
    callboard = create_callboard(settings_from(loaded), plugin_manager_with({"probe": probe_plugin}))
    assert callboard.declarations.configs["probe"].greeting == "hi"
    printed = loaded.redacted()["plugins"]["probe"]
    assert printed == {"apiToken": "<secret>", "greeting": "hi"}


def test_plugin_ids_and_permission_names_are_checked() -> None:
    import types

    from callboard.sdk import PermissionSpec, hookimpl

    bad = types.ModuleType("bad_plugin")
    bad.CALLBOARD_PLUGIN_API = "1.1"  # type: ignore[attr-defined]
    bad.register_permissions = hookimpl(lambda: [PermissionSpec("catalog.entity.delete", "steal a name")])  # type: ignore[attr-defined]
    with pytest.raises(PluginError, match=r"name it bad\.<resource>\.<action>"):
        create_callboard(settings_from(LoadedConfig({}, [])), plugin_manager_with({"bad": bad}))


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, str]]:
    with database_for(request.param, tmp_path) as database:
        runtime = make_runtime({"backend": {"database": database}}, tmp_path, plugins={"probe": probe_plugin})
        try:
            with Server(runtime.web) as server:
                yield runtime, server.url
        finally:
            runtime.close()


def test_plugin_tables_are_migrated_and_its_routes_served(served: tuple[Any, str]) -> None:
    runtime, url = served
    assert httpx.get(f"{url}/api/probe/health").json() == {"greeting": "hello"}  # public
    assert httpx.post(f"{url}/api/probe/pings").status_code == 401  # everything else needs identity
    assert httpx.post(f"{url}/api/probe/pings", params={"note": "a"}, headers=AUTH).json() == {"count": 1}
    assert httpx.post(f"{url}/api/probe/pings", params={"note": "b"}, headers=AUTH).json() == {"count": 2}
    with runtime.database.connect() as connection:
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version_probe").scalar()
        core = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert revision == "probe_0001" and core is not None and core != revision
    assert [status.id for status in runtime.scheduler.status()] == ["probe.noop"]


class Upstream:
    """A real HTTP server that answers 503 to the first ``busy`` requests, then 200; it records each request."""

    def __init__(self, busy: int) -> None:
        self.busy = busy
        self.seen: list[tuple[str, str, str]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                upstream.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                status = 503 if len(upstream.seen) <= upstream.busy else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _answer  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_http_client_attaches_credentials_retries_reads_and_reports_writes() -> None:
    upstream = Upstream(busy=2)
    writes: list[tuple[str, int]] = []
    targets = {
        "proxy:status": ClientTarget(
            "proxy:status", f"{upstream.url}/base", {"Authorization": "Bearer upstream-secret"}
        )
    }
    try:
        with build_client(
            targets, "proxy:status", on_write=lambda rq, rs: writes.append((rq.method, rs.status_code))
        ) as client:
            assert client.get("/items").status_code == 200  # two 503s, retried
            upstream.busy = len(upstream.seen) + 1
            assert client.post("/items", json={}).status_code == 503  # a write is never retried
        assert [request[:2] for request in upstream.seen] == [("GET", "/base/items")] * 3 + [("POST", "/base/items")]
        assert {request[2] for request in upstream.seen} == {"Bearer upstream-secret"}
        assert writes == [("POST", 503)]
        with pytest.raises(NotFoundError, match=r"No integration or proxy endpoint named 'jira'.*known: proxy:status"):
            build_client(targets, "jira")
    finally:
        upstream.close()


def test_run_now_on_a_replica_without_a_worker_says_the_run_is_waiting(served: tuple[Any, str]) -> None:
    runtime, url = served
    asked = httpx.post(f"{url}/admin/tasks/run", data={"task": "probe.noop"}, headers=AUTH)
    assert asked.status_code == 303 and asked.headers["location"] == "/admin/tasks"
    page = httpx.get(f"{url}/admin/tasks", headers=AUTH).text
    assert "A run was asked for by service:tests" in page
    run = runtime.scheduler.run_due()  # what a worker's next round does
    runtime.scheduler.wait_idle()
    assert run == ["probe.noop"]
    page = httpx.get(f"{url}/admin/tasks", headers=AUTH).text
    assert "A run was asked for" not in page and "service:tests" in page  # the run, triggered by them
