"""Stateless replicas as production runs them: two `callboard serve` processes and a `callboard worker` on one
PostgreSQL, behind a round-robin balancer on loopback. A session from one replica is valid on the other, a
scheduled task runs once per period whichever process holds it, a task's event stream (SSE) can be read from
the replica that did not create it, and killing a replica under load fails only the requests it had in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
import yaml

from tests.catalog.fixtures import config, write_catalog
from tests.support import AUTH, database_for, free_port, wait_until_ready

CALLBOARD = str(Path(sys.executable).with_name("callboard"))
DISCOVERY_SECONDS = 2.0
TEMPLATE = {
    "apiVersion": "scaffolder.backstage.io/v1beta3",
    "kind": "Template",
    "metadata": {"name": "wait-a-little"},
    "spec": {
        "owner": "team-a",
        "type": "service",
        "parameters": [{"properties": {"seconds": {"type": "number", "default": 2}}}],
        "steps": [{"id": "wait", "action": "debug:wait", "input": {"seconds": "${{ parameters.seconds }}"}}],
    },
}


class Balancer:
    """Round-robin TCP balancer: each connection goes to the next replica; a replica that refuses the connection
    is skipped (as nginx's proxy_next_upstream does for connect errors)."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.port = free_port()
        self.turn = 0
        self.sent: dict[int, int] = dict.fromkeys(backends, 0)
        #: Connections no replica would take (each one fails its request).
        self.refused = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()
        server.close()
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream = None
        start, self.turn = self.turn, self.turn + 1
        for offset in range(len(self.backends)):  # each replica once, from this connection's turn
            backend = self.backends[(start + offset) % len(self.backends)]
            try:
                upstream = await asyncio.open_connection("127.0.0.1", backend)
                self.sent[backend] += 1
                break
            except OSError:
                continue
        if upstream is None:
            self.refused += 1
            client_writer.close()
            return
        reader, writer = upstream
        await asyncio.gather(_pipe(client_reader, writer), _pipe(reader, client_writer))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@dataclass
class Cluster:
    balancer: Balancer
    replicas: dict[str, int]
    processes: dict[str, subprocess.Popen[bytes]]
    database_url: str
    logs: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def direct(self, name: str) -> str:
        return f"http://127.0.0.1:{self.replicas[name]}"


def _wait_for_catalog(url: str, logs: Path, seconds: float = 120) -> None:
    """Ready means serving; the catalog fills in the background (whichever process claims the work first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            found = httpx.get(f"{url}/api/catalog/entities/by-name/component/default/artist-web", headers=AUTH)
            if found.status_code == 200:
                return
        time.sleep(0.3)
    raise AssertionError("the catalog was not processed: " + (logs / "worker.log").read_text("utf-8")[-3000:])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("replicas")
    root = write_catalog(tmp / "repo")
    (tmp / "repo" / "template.yaml").write_text(yaml.safe_dump(TEMPLATE), "utf-8")
    (tmp / "clones").mkdir()
    with database_for("postgresql", tmp) as database:
        balancer_port = free_port()
        settings: dict[str, Any] = config(root, database)
        settings["catalog"]["locations"].append({"type": "file", "target": str(tmp / "repo" / "template.yaml")})
        settings["catalog"]["providers"] = {
            "discovery": {
                "clones": {
                    "type": "local",
                    "path": str(tmp / "clones"),
                    "schedule": {"frequency": {"seconds": DISCOVERY_SECONDS}},
                }
            }
        }
        settings["app"] = {"baseUrl": f"http://127.0.0.1:{balancer_port}"}
        settings["auth"] = {"environment": "development", "providers": {"guest": {}}}
        settings["backend"]["auth"] = {
            "externalAccess": [
                {"type": "static", "options": {"token": AUTH["Authorization"][7:], "subject": "service:tests"}}
            ]
        }
        settings["permission"] = {"rules": [{"permission": "scaffolder.task.create", "principals": ["service:tests"]}]}
        settings["dataDir"] = str(tmp / "data")
        (tmp / "app-config.yaml").write_text(yaml.safe_dump(settings), "utf-8")
        replicas = {"a": free_port(), "b": free_port()}
        processes: dict[str, subprocess.Popen[bytes]] = {}
        logs = tmp / "logs"
        logs.mkdir()
        outputs = {name: (logs / f"{name}.log").open("wb") for name in ("a", "b", "worker")}
        try:
            for name, port in replicas.items():
                # Each replica runs background work in its own process too: three schedulers compete for tasks.
                processes[name] = subprocess.Popen(
                    [CALLBOARD, "serve", "-c", "app-config.yaml", "--port", str(port), "--in-process"],
                    cwd=tmp,
                    stdout=outputs[name],
                    stderr=subprocess.STDOUT,
                )
            processes["worker"] = subprocess.Popen(
                [CALLBOARD, "worker", "-c", "app-config.yaml"],
                cwd=tmp,
                stdout=outputs["worker"],
                stderr=subprocess.STDOUT,
            )
            for name, port in replicas.items():
                wait_until_ready(f"http://127.0.0.1:{port}", processes[name], logs / f"{name}.log")
            _wait_for_catalog(f"http://127.0.0.1:{replicas['b']}", logs)
            balancer = Balancer(list(replicas.values()))
            try:
                yield Cluster(balancer, replicas, processes, str(database["connection"]), logs)
            finally:
                balancer.stop()
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(20)
                if process.poll() is None:
                    process.kill()
                    process.wait(10)
            for output in outputs.values():
                output.close()


def _fresh(url: str) -> httpx.Client:
    """One connection per request (the balancer balances connections)."""
    return httpx.Client(base_url=url, headers={"Connection": "close"}, timeout=30)


def test_requests_through_the_balancer_reach_both_replicas(cluster: Cluster) -> None:
    with _fresh(cluster.balancer.url) as http:
        for _ in range(6):
            assert (
                http.get("/api/catalog/entities/by-name/component/default/artist-web", headers=AUTH).status_code == 200
            )
    assert all(count >= 3 for count in cluster.balancer.sent.values()), cluster.balancer.sent


def test_a_session_from_one_replica_is_valid_on_the_other(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.direct("a"), timeout=30, headers={"accept": "text/html"}) as browser:
        page = browser.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:2000]
        signed_in = browser.post("/signin/guest", data={"csrf_token": token.group(1), "back": "/"})
        assert signed_in.status_code == 303
        cookies = dict(browser.cookies)
    session = httpx.get(
        f"{cluster.direct('b')}/api/auth/session",
        cookies=cookies,
        headers={"X-Requested-With": "XMLHttpRequest"},
        timeout=30,
    )
    assert session.status_code == 200, session.text
    assert session.json()["backstageIdentity"]["identity"]["userEntityRef"] == "user:default/guest"


def test_a_scheduled_task_runs_once_per_period_whichever_process_holds_it(cluster: Cluster) -> None:
    time.sleep(DISCOVERY_SECONDS * 4)
    engine = sqlalchemy.create_engine(cluster.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sqlalchemy.text(
                    "SELECT replica, started_at, finished_at FROM scheduled_task_runs "
                    "WHERE task_id = 'discovery.clones' ORDER BY started_at"
                )
            ).all()
    finally:
        engine.dispose()
    assert len(rows) >= 3, rows
    for earlier, later in itertools.pairwise(rows):
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at  # never two at once
        assert later.started_at - earlier.started_at >= DISCOVERY_SECONDS * 0.9  # once per period, not per process


def test_a_task_created_through_one_replica_streams_its_events_from_the_other(cluster: Cluster) -> None:
    with _fresh(cluster.direct("a")) as a:
        created = a.post(
            "/api/scaffolder/v2/tasks",
            json={"templateRef": "template:default/wait-a-little", "values": {"seconds": 2}},
            headers=AUTH,
        )
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    with (
        httpx.Client(base_url=cluster.direct("b"), timeout=60) as b,
        b.stream("GET", f"/api/scaffolder/v2/tasks/{task_id}/eventstream", headers=AUTH) as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    assert "event: completion" in text and '"status": "completed"' in text.replace('":"', '": "')


def test_killing_a_replica_under_load_fails_only_its_requests_in_flight(cluster: Cluster) -> None:
    outcomes: list[tuple[float, int | str]] = []  # (when the request started, how it ended)
    lock = threading.Lock()

    def one(index: int) -> None:
        started = time.monotonic()
        try:
            with _fresh(cluster.balancer.url) as http:
                status: int | str = http.get("/api/catalog/entities", params={"limit": 5}, headers=AUTH).status_code
        except httpx.HTTPError as error:
            status = type(error).__name__
        with lock:
            outcomes.append((started, status))

    workers = 4
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(one, index) for index in range(120)]
        while len(outcomes) < 40:
            time.sleep(0.01)
        cluster.processes["a"].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        for future in futures:
            future.result()
    failed = [(started, status) for started, status in outcomes if status != 200]
    assert len(outcomes) == 120
    # At most the requests replica A was answering when it died (the balancer skips a replica that is gone).
    assert len(failed) <= workers and cluster.balancer.refused == 0, (failed, killed, cluster.balancer.sent)
    assert all(started < killed for started, _ in failed), failed  # every request sent later was answered
    assert sum(started > killed for started, _ in outcomes) >= 40
