"""Change events, measured over HTTP against a running portal (``callboard serve`` with the plugin installed).

1. Sustained ingestion: signed GitHub ``deployment_status`` webhooks from several keep-alive connections for a
   fixed time (each one verified, placed on its entity by ``github.com/project-slug`` and stored).
2. Stored events: the tables are filled to ``--events`` (bulk insert, not timed), spread over a year and a
   generated catalog of components that depend on each other.
3. Queries: an entity's timeline, the organisation's page (all, and one owner's), and "what changed before
   this?" at depth 2; sequential requests, p50/p95/p99.

    python benchmarks/change_events.py --database sqlite --events 1000000
    python benchmarks/change_events.py --database postgresql --events 10000000

Prints one JSON object. Needs the plugin installed (``make install`` installs the repository's plugins).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import sqlalchemy

SECRET = "benchmark-webhook-secret"
TOKEN = "benchmark-service-token-0123456789"
PG_ADMIN = os.environ.get("CALLBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
COMPONENTS = 1000
GROUPS = 25
TYPES = ("deployment", "build", "push", "pull-request-merged", "config-change", "incident-opened")


def catalog(path: Path) -> None:
    documents = []
    for group in range(GROUPS):
        documents.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Group",
                "metadata": {"name": f"team-{group}"},
                "spec": {"type": "team", "children": []},
            }
        )
    for number in range(COMPONENTS):
        spec: dict[str, Any] = {
            "type": "service",
            "lifecycle": "production",
            "owner": f"team-{number % GROUPS}",
            "dependsOn": [f"component:svc-{(number * 7 + k) % COMPONENTS}" for k in (1, 2)],
            "providesApis": [f"api-{number}"],
            "consumesApis": [f"api-{(number * 13 + 5) % COMPONENTS}"],
        }
        documents.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {
                    "name": f"svc-{number}",
                    "annotations": {"github.com/project-slug": f"bench/svc-{number}"},
                },
                "spec": spec,
            }
        )
        documents.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "API",
                "metadata": {"name": f"api-{number}"},
                "spec": {
                    "type": "openapi",
                    "lifecycle": "production",
                    "owner": f"team-{number % GROUPS}",
                    "definition": "openapi: 3.0.0",
                },
            }
        )
    path.write_text("\n---\n".join(json.dumps(document) for document in documents))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(port: int, expected: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, body = request(port, "GET", "/api/catalog/entities/by-query?limit=1&filter=kind=component")
            if status == 200 and json.loads(body)["totalItems"] >= expected:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the portal did not serve the benchmark catalog in time")


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    connection: http.client.HTTPConnection | None = None,
) -> tuple[int, bytes]:
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers={"Authorization": f"Bearer {TOKEN}", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        if own:
            connection.close()


def delivery(number: int, now: float) -> tuple[bytes, dict[str, str]]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    payload = {
        "action": "created",
        "deployment_status": {
            "id": number,
            "state": "success",
            "environment": "production",
            "log_url": f"https://ci.example.com/{number}",
            "created_at": stamp,
            "updated_at": stamp,
        },
        "deployment": {
            "id": number,
            "sha": "2484a1dd9ed33fc91a3e80bd89cd5fac1c5f8b1e",
            "ref": f"v1.{number}",
            "environment": "production",
            "created_at": stamp,
        },
        "repository": {"full_name": f"bench/svc-{number % COMPONENTS}", "html_url": "https://github.com/bench"},
        "sender": {"login": "deploy-bot"},
    }
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "X-GitHub-Event": "deployment_status",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": signature,
        "Content-Type": "application/json",
    }


def ingest(port: int, seconds: float, clients: int) -> dict[str, Any]:
    """Signed webhooks from ``clients`` keep-alive connections for ``seconds``; accepted per second."""
    now = time.time()
    bodies = [delivery(number, now) for number in range(200_000)]
    counter = iter(range(len(bodies)))
    lock = threading.Lock()
    results = {"created": 0, "errors": 0}
    stop = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        created = errors = 0
        while time.monotonic() < stop:
            with lock:
                number = next(counter)
            body, headers = bodies[number]
            status, _ = request(port, "POST", "/api/change-events/webhooks/github", body, headers, connection)
            if status == 201:
                created += 1
            else:
                errors += 1
        with lock:
            results["created"] += created
            results["errors"] += errors
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "created": results["created"],
        "errors": results["errors"],
        "events_per_s": round(results["created"] / elapsed),
    }


def fill(url: str, postgres: bool, total: int, now: float) -> float:
    """Bulk-load events until the tables hold ``total``, over the year before ``now``; returns seconds."""
    started = time.monotonic()
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        have = connection.exec_driver_sql("SELECT count(*) FROM change_events").scalar_one()
        first = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM change_events").scalar_one() + 1
    engine.dispose()
    count = max(0, total - have)

    def rows() -> Iterator[tuple[Any, ...]]:
        """The same rows each time it is called (a seeded generator): events, then their entities, stream."""
        chance = random.Random(3)
        for event_id in range(first, first + count):
            moment = now - chance.random() * 365 * 86400
            component = chance.randrange(COMPONENTS)
            kind = TYPES[chance.randrange(len(TYPES))]
            yield (
                event_id,
                "bench",
                f"fill-{event_id}",
                kind,
                moment,
                moment,
                "bot",
                f"{kind} of svc-{component}",
                "https://ci.example.com/x",
                "production",
                "",
                "",
                f"1.{event_id}",
                "{}",
                f"component:default/svc-{component}",
            )

    columns = (
        "id, source, external_id, type, time, received_at, actor, title, url, environment, market, cluster, "
        "version, attributes"
    )
    if postgres:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
            with connection.cursor().copy(f"COPY change_events ({columns}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row[:14])
            with connection.cursor().copy("COPY change_event_entities (entity_ref, time, event_id) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row((row[14], row[4], row[0]))
            connection.execute(
                "SELECT setval(pg_get_serial_sequence('change_events', 'id'), (SELECT max(id) FROM change_events))"
            )
            connection.commit()
            connection.autocommit = True
            connection.execute("VACUUM ANALYZE change_events")
            connection.execute("VACUUM ANALYZE change_event_entities")
    else:
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            marks = ", ".join("?" * 14)
            connection.executemany(f"INSERT INTO change_events ({columns}) VALUES ({marks})", (r[:14] for r in rows()))
            connection.executemany(
                "INSERT INTO change_event_entities (entity_ref, time, event_id) VALUES (?, ?, ?)",
                ((r[14], r[4], r[0]) for r in rows()),
            )
            connection.execute("ANALYZE")
    return round(time.monotonic() - started, 1)


def latency(port: int, paths: list[str]) -> dict[str, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for path in paths:
        started = time.perf_counter()
        status, body = request(port, "GET", path, connection=connection)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"{path}: {status} {body[:300]!r}")
    connection.close()
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95)], 2),
        "p99_ms": round(times[int(len(times) * 0.99)], 2),
        "requests": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--events", type=int, default=1_000_000, help="events stored for the query phase")
    parser.add_argument("--ingest-seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=300, help="requests per query kind")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="callboard-change-events-"))
    catalog(work / "catalog.yaml")
    port = free_port()
    if args.database == "postgresql":
        name = f"callboard_bench_events_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
        database: dict[str, Any] = {"client": "pg", "connection": url}
        fill_url = url.replace("postgresql://", "postgresql+psycopg://")
    else:
        database = {"client": "better-sqlite3", "connection": {"filename": str(work / "callboard.db")}}
        fill_url = f"sqlite:///{work / 'callboard.db'}"
    config = {
        "backend": {
            "baseUrl": f"http://127.0.0.1:{port}",
            "listen": {"host": "127.0.0.1", "port": port},
            "database": database,
            "auth": {"externalAccess": [{"type": "static", "options": {"token": TOKEN, "subject": "bench"}}]},
        },
        "dataDir": str(work / "data"),
        "catalog": {
            "rules": [{"allow": ["Component", "API", "Group", "Location"]}],
            "locations": [{"type": "file", "target": str(work / "catalog.yaml")}],
        },
        "changeEvents": {"github": {"webhookSecret": SECRET}},
    }
    (work / "app-config.yaml").write_text(json.dumps(config))
    log = (work / "server.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "callboard"), "serve", "--config", str(work / "app-config.yaml")],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=work,
    )
    result: dict[str, Any] = {"benchmark": "change events", "database": args.database}
    try:
        wait_ready(port, COMPONENTS)
        result["ingestion"] = ingest(port, args.ingest_seconds, args.clients)
        now = time.time()
        result["fill_s"] = fill(fill_url, args.database == "postgresql", args.events, now)
        result["events_stored"] = args.events
        chance = random.Random(5)
        entities = [f"component:default/svc-{chance.randrange(COMPONENTS)}" for _ in range(args.requests)]
        result["timeline"] = latency(
            port, ["/api/change-events/events?" + urlencode({"entity": ref, "limit": 50}) for ref in entities]
        )
        result["organisation"] = latency(port, ["/api/change-events/events?limit=50"] * args.requests)
        result["organisation_by_owner"] = latency(
            port,
            [
                "/api/change-events/events?" + urlencode({"owner": f"team-{chance.randrange(GROUPS)}", "limit": 50})
                for _ in range(args.requests)
            ],
        )
        result["correlation_depth2"] = latency(
            port, ["/api/change-events/correlate?" + urlencode({"entity": ref, "depth": 2}) for ref in entities]
        )
    finally:
        server.terminate()
        server.wait(30)
        log.close()
        if args.database == "postgresql":
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(result))


if __name__ == "__main__":
    main()
