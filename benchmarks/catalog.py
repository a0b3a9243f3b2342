"""Catalog benchmark: generate N entities, start ``callboard serve``, ingest, then measure through HTTP.

    .venv/bin/python benchmarks/catalog.py --count 100000 [--database postgresql] [--pg-url URL]

Prints one JSON object per figure group: cold ingestion, unchanged re-processing, server peak RSS, and request
latencies (p50/p99 in milliseconds) for by-name, a filtered page, by-query with totals plus facets, and the
full-text filter. Everything runs on this machine; the server is a real subprocess on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import write_catalog_tree

TOKEN = "benchmark-service-token"
KINDS = ["Component", "API", "System", "Group", "User", "Location", "Resource", "Domain"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def wait_until_idle(http: httpx.Client, expected: int, timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            ready = http.get("/.backstage/health/v1/readiness").json()
            total = http.get("/api/catalog/entities/by-query", params={"limit": 0}).json()["totalItems"]
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        if ready["catalog"]["pending"] == 0 and total >= expected:
            return time.perf_counter() - start
        time.sleep(0.1)
    raise TimeoutError(f"catalog not ready after {timeout}s")


def latency(name: str, runs: int, call: Callable[[], None]) -> dict[str, object]:
    for _ in range(min(20, runs)):
        call()  # warm caches and connections
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "figure": name,
        "runs": runs,
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 2),
    }


def portal_config(port: int, database: dict[str, object], root: Path) -> dict[str, object]:
    """The benchmarks' app-config: the generated catalog, the database, and the token the client sends."""
    return {
        "backend": {
            "listen": {"host": "127.0.0.1", "port": port},
            "database": database,
            "auth": {"externalAccess": [{"type": "static", "options": {"token": TOKEN, "subject": "service:bench"}}]},
        },
        "catalog": {"rules": [{"allow": KINDS}], "locations": [{"type": "file", "target": str(root)}]},
    }


def make_due(database: str, target: str) -> None:
    statement = "UPDATE refresh_state SET next_update_at = 0"
    if database == "sqlite":
        import sqlite3  # noqa: PLC0415

        with sqlite3.connect(target) as connection:
            connection.execute(statement)
    else:
        import psycopg  # noqa: PLC0415

        with psycopg.connect(target, autocommit=True) as connection:
            connection.execute(statement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="callboard-bench-"))
    root = write_catalog_tree(work / "catalog", args.count)
    database: dict[str, object]
    pg_database = None
    if args.database == "sqlite":
        db_target = str(work / "callboard.db")
        database = {"connection": db_target}
    else:
        import psycopg  # noqa: PLC0415

        pg_database = f"callboard_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_database}"')
        db_target = f"{args.pg_url.rsplit('/', 1)[0]}/{pg_database}"
        database = {"connection": db_target}
    port = free_port()
    (work / "app-config.yaml").write_text(yaml.safe_dump(portal_config(port, database, root)))
    expected = args.count + 2  # the generated root location and the catalog's root Location file
    command = [sys.executable, "-m", "callboard", "serve", "--config", str(work / "app-config.yaml")]
    started = time.perf_counter()
    server = subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120, headers=headers) as http:
            ingest = wait_until_idle(http, expected, timeout=3600)
            cold = time.perf_counter() - started
            rss = peak_rss_mb(server.pid)
            print(
                json.dumps(
                    {
                        "figure": "cold_ingestion",
                        "database": args.database,
                        "entities": args.count,
                        "seconds_from_start": round(cold, 2),
                        "seconds_ingesting": round(ingest, 2),
                        "entities_per_s": round(args.count / cold, 1),
                        "server_peak_rss_mb": rss,
                    }
                )
            )
            make_due(args.database, db_target)
            start = time.perf_counter()
            time.sleep(1.5)  # let the engine pick the due items up
            unchanged = wait_until_idle(http, expected, timeout=3600) + 1.5
            print(
                json.dumps(
                    {
                        "figure": "unchanged_reprocessing",
                        "database": args.database,
                        "entities": args.count,
                        "seconds": round(time.perf_counter() - start, 2),
                        "seconds_measured": round(unchanged, 2),
                    }
                )
            )
            names = [
                e["metadata"]["name"]
                for e in http.get(
                    "/api/catalog/entities",
                    params={"filter": "kind=component", "fields": "metadata.name", "limit": 2000},
                ).json()
            ]
            rng = random.Random(1)

            def by_name() -> None:
                response = http.get(f"/api/catalog/entities/by-name/component/default/{rng.choice(names)}")
                response.raise_for_status()

            def filtered_page() -> None:
                http.get(
                    "/api/catalog/entities", params={"filter": "kind=component,spec.lifecycle=production", "limit": 50}
                ).raise_for_status()

            def query_with_facets() -> None:
                http.get(
                    "/api/catalog/entities/by-query", params={"filter": "kind=component", "limit": 50}
                ).raise_for_status()
                http.get(
                    "/api/catalog/entity-facets", params={"facet": "spec.type", "filter": "kind=component"}
                ).raise_for_status()

            def full_text() -> None:
                http.get(
                    "/api/catalog/entities/by-query",
                    params={
                        "fullTextFilterTerm": rng.choice(["payment", "audit", "stream", "ledger"]),
                        "fullTextFilterFields": "metadata.name",
                        "limit": 50,
                    },
                ).raise_for_status()

            for figure in (
                latency("by_name", args.runs, by_name),
                latency("filtered_page_kind_lifecycle_limit_50", args.runs, filtered_page),
                latency("by_query_total_plus_facets", max(50, args.runs // 5), query_with_facets),
                latency("full_text_filter", max(50, args.runs // 5), full_text),
            ):
                print(json.dumps({**figure, "database": args.database, "entities": args.count}))
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        if server.returncode not in (0, -15, None):
            sys.stderr.write(server.stderr.read().decode() if server.stderr else "")
        if pg_database:
            import psycopg  # noqa: PLC0415

            with psycopg.connect(args.pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_database}" WITH (FORCE)')
        os.environ.get("KEEP_BENCH") or subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
