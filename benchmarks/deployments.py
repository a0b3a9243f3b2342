"""Deployments, measured against a running portal (``callboard serve`` with the plugin installed) watching a fleet
of stand-in Kubernetes clusters served by another process.

1. Full sync: ``--clusters`` clusters of ``--workloads`` Deployments each (5 environments by 10 markets); time
   from the portal's start until every workload is stored and matched (each entity runs in about 30 clusters).
2. Steady state: the stand-in changes 1 % of the workloads per minute (a new version); the serving process's
   CPU over ``--steady-seconds`` with its watches open, and how long a change takes to show in the API.
3. Pages: the matrix for 1,000 entities (``/api/deployments/matrix`` and the ``/deployments/`` page) and an
   entity's Deployments tab; sequential requests, p50/p95/p99 as the client measures them.

    python benchmarks/deployments.py --database sqlite
    python benchmarks/deployments.py --database postgresql --clusters 50 --workloads 2000

Prints one JSON object. Needs the plugin installed (``make install`` installs the repository's plugins).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from callboard_deployments.standins.kubernetes import KubernetesStandIn, deployment

TOKEN = "benchmark-service-token-0123456789"
PG_ADMIN = os.environ.get("CALLBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
ENVIRONMENTS = ("dev", "qa", "staging", "preprod", "production")
#: Entities in the catalog; each cluster runs ``workloads`` of them, so each runs in about 30 clusters.
PER_ENTITY = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cluster_name(number: int) -> str:
    return f"{ENVIRONMENTS[number % len(ENVIRONMENTS)]}-m{number // len(ENVIRONMENTS)}"


def entities_for(clusters: int, workloads: int) -> int:
    """Enough entities that each runs in about ``PER_ENTITY`` clusters, and at least one per workload."""
    return max(workloads, clusters * workloads // PER_ENTITY)


def workload_ids(cluster: int, workloads: int, entities: int) -> list[int]:
    """Which entities a cluster runs: a different slice of them in each cluster."""
    start = cluster * workloads * 7919 % entities
    return [(start + index) % entities for index in range(workloads)]


# -- the stand-in fleet, in its own process -----------------------------------------------------------------


def serve_fleet(clusters: int, workloads: int, port: int, churn_per_minute: float) -> None:
    standin = KubernetesStandIn(port)
    entities = entities_for(clusters, workloads)
    for number in range(clusters):
        fake = standin.add(cluster_name(number))
        for entity in workload_ids(number, workloads, entities):
            fake.apply(
                "deployments", deployment(f"svc-{entity}", "1.0.0", namespace="apps", kubernetes_id=f"svc-{entity}")
            )
    standin.start()
    print("ready", flush=True)
    chance = random.Random(1)
    total = clusters * workloads
    interval = 60.0 / max(1.0, total * churn_per_minute)
    changed = 0
    while True:
        number = chance.randrange(clusters)
        entity = chance.choice(workload_ids(number, workloads, entities))
        changed += 1
        version = f"1.0.{changed}"
        standin.clusters[cluster_name(number)].patch(
            "deployments",
            "apps",
            f"svc-{entity}",
            {"metadata": {"labels": {"app.kubernetes.io/version": version}}},
        )
        time.sleep(interval)


# -- the portal ---------------------------------------------------------------------------------------------


def catalog(path: Path, entities: int) -> None:
    documents = [
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": f"svc-{number}", "annotations": {"backstage.io/kubernetes-id": f"svc-{number}"}},
            "spec": {"type": "service", "lifecycle": "production", "owner": f"team-{number % 25}"},
        }
        for number in range(entities)
    ]
    path.write_text("\n---\n".join(json.dumps(document) for document in documents))


def request(port: int, path: str, connection: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        if own:
            connection.close()


def stored(port: int) -> tuple[int, int]:
    status, body = request(port, "/api/deployments/clusters")
    if status != 200:
        return 0, 0
    items = json.loads(body)["items"]
    return sum(item["workloads"] for item in items), sum(item["matched"] for item in items)


def tree(pid: int) -> list[int]:
    """The process and its descendants (``callboard serve`` runs background work in a worker process)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def rss_mb(pid: int) -> dict[str, float]:
    """Peak resident memory of the web process and of its worker."""
    found = {}
    for member in tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text().splitlines()
        except OSError:
            continue
        for line in status:
            if line.startswith("VmHWM:"):
                found["web" if member == pid else f"worker {member}"] = round(int(line.split()[1]) / 1024, 1)
    return found


def latency(port: int, paths: list[str]) -> dict[str, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for path in paths:
        started = time.perf_counter()
        status, body = request(port, path, connection)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"{path}: {status} {body[:300]!r}")
    connection.close()
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95)], 2),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
        "requests": len(times),
    }


def rollout(
    port: int, fleet_port: int, clusters: int, workloads: int, entities: int, chance: random.Random, number: int
) -> float | None:
    """Patch one workload's version in the stand-in (as kubectl does) and time until the API shows it."""
    cluster = chance.randrange(clusters)
    entity = chance.choice(workload_ids(cluster, workloads, entities))
    version = f"9.0.{number}"
    body = json.dumps({"metadata": {"labels": {"app.kubernetes.io/version": version}}})
    connection = http.client.HTTPConnection("127.0.0.1", fleet_port, timeout=30)
    path = f"/clusters/{cluster_name(cluster)}/apis/apps/v1/namespaces/apps/deployments/svc-{entity}"
    connection.request("PATCH", path, body=body, headers={"Content-Type": "application/merge-patch+json"})
    connection.getresponse().read()
    connection.close()
    started = time.monotonic()
    while time.monotonic() - started < 60:
        _, answer = request(port, f"/api/deployments/entities/component/default/svc-{entity}")
        if any(item["version"] == version for item in json.loads(answer)["items"]):
            return round(time.monotonic() - started, 2)
        time.sleep(0.1)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--workloads", type=int, default=2000, help="Deployments per cluster")
    parser.add_argument("--steady-seconds", type=float, default=120.0)
    parser.add_argument("--requests", type=int, default=60, help="requests per page kind")
    parser.add_argument("--serve-fleet", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--churn", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fleet:
        serve_fleet(args.clusters, args.workloads, args.serve_fleet, args.churn)
        return
    entities = entities_for(args.clusters, args.workloads)
    work = Path(tempfile.mkdtemp(prefix="callboard-deployments-"))
    catalog(work / "catalog.yaml", entities)
    fleet_port, port = free_port(), free_port()
    result: dict[str, Any] = {
        "benchmark": "deployments",
        "database": args.database,
        "clusters": args.clusters,
        "workloads": args.clusters * args.workloads,
        "entities": entities,
    }
    started = time.monotonic()
    fleet = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve-fleet",
            str(fleet_port),
            "--clusters",
            str(args.clusters),
            "--workloads",
            str(args.workloads),
            "--churn",
            "0.01",
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    assert fleet.stdout is not None
    fleet.stdout.readline()
    result["fleet_ready_s"] = round(time.monotonic() - started, 1)
    name = ""
    if args.database == "postgresql":
        name = f"callboard_bench_deploy_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        database: dict[str, Any] = {"client": "pg", "connection": f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"}
    else:
        database = {"client": "better-sqlite3", "connection": {"filename": str(work / "callboard.db")}}
    clusters = [
        {
            "name": cluster_name(number),
            "url": f"http://127.0.0.1:{fleet_port}/clusters/{cluster_name(number)}",
            "authProvider": "none",
            "environment": ENVIRONMENTS[number % len(ENVIRONMENTS)],
            "market": f"m{number // len(ENVIRONMENTS)}",
        }
        for number in range(args.clusters)
    ]
    config = {
        "backend": {
            "baseUrl": f"http://127.0.0.1:{port}",
            "listen": {"host": "127.0.0.1", "port": port},
            "database": database,
            "auth": {"externalAccess": [{"type": "static", "options": {"token": TOKEN, "subject": "bench"}}]},
        },
        "dataDir": str(work / "data"),
        "catalog": {
            "rules": [{"allow": ["Component", "Location"]}],
            "locations": [{"type": "file", "target": str(work / "catalog.yaml")}],
        },
        "kubernetes": {"clusterLocatorMethods": [{"type": "config", "clusters": clusters}]},
        "deployments": {"environments": list(ENVIRONMENTS), "watch": {"runMinutes": 60}},
    }
    (work / "app-config.yaml").write_text(json.dumps(config))
    log = (work / "server.log").open("w")
    started = time.monotonic()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "callboard"), "serve", "--config", str(work / "app-config.yaml")],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=work,
    )
    try:
        total = args.clusters * args.workloads
        while True:
            try:
                have, matched = stored(port)
            except OSError:
                have = matched = 0
            if have >= total and matched >= total:
                break
            if time.monotonic() - started > 1800:
                raise SystemExit(f"not synced after 30 minutes: {have} stored, {matched} matched of {total}")
            time.sleep(0.5)
        result["full_sync_s"] = round(time.monotonic() - started, 1)
        if name:
            # This machine's PostgreSQL runs without autovacuum; a server with it would have analysed the table
            # and set its visibility map by now (index-only scans need it).
            with psycopg.connect(f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", autocommit=True) as connection:
                connection.execute("VACUUM ANALYZE deployment_workloads")
        result["rss_after_sync_mb"] = rss_mb(server.pid)
        cpu_before, wall_before = cpu_seconds(server.pid), time.monotonic()
        delays: list[float | None] = []
        chance = random.Random(9)
        while time.monotonic() - wall_before < args.steady_seconds:
            delays.append(rollout(port, fleet_port, args.clusters, args.workloads, entities, chance, len(delays)))
            time.sleep(5)
        cpu = cpu_seconds(server.pid) - cpu_before
        wall = time.monotonic() - wall_before
        shown = sorted(delay for delay in delays if delay is not None)
        result["steady"] = {
            "seconds": round(wall, 1),
            "churn_per_minute": round(total * 0.01),
            "cpu_percent_of_one_core": round(100 * cpu / wall, 1),
            "rollouts_checked": len(delays),
            "rollouts_not_shown_in_60s": len(delays) - len(shown),
            "seconds_until_shown_p50": shown[len(shown) // 2] if shown else None,
            "seconds_until_shown_max": shown[-1] if shown else None,
        }
        refs = "&".join(f"entity=component:default/svc-{number}" for number in range(0, min(entities, 1000)))
        result["matrix_api_1000"] = latency(port, [f"/api/deployments/matrix?limit=1000&{refs}"] * (args.requests // 2))
        result["fleet_page_1000"] = latency(port, ["/deployments/?limit=1000"] * (args.requests // 2))
        result["entity_tab"] = latency(
            port,
            [f"/catalog/default/component/svc-{chance.randrange(entities)}/deployments" for _ in range(args.requests)],
        )
        result["entity_api"] = latency(
            port,
            [
                f"/api/deployments/entities/component/default/svc-{chance.randrange(entities)}"
                for _ in range(args.requests)
            ],
        )
        result["peak_rss_mb"] = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(60)
        log.close()
        fleet.kill()
        fleet.wait(30)
        if name:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(result))


if __name__ == "__main__":
    # Stopped early (timeout, Ctrl-C): the finally clauses stop the portal and the fleet, and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
