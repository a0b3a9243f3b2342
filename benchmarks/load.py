"""Load benchmark: request latency while the catalog ingests, and under many concurrent clients.

    .venv/bin/python benchmarks/load.py [--count 10000] [--clients 100] [--seconds 30] [--database postgresql]

Generates N entities, starts ``callboard serve`` as a real process (a cold start: it ingests them) and then
prints one JSON object per figure group:

- ``during_ingestion`` and ``idle``: by-name and a filtered page requested one after the other while the
  catalog is ingesting, then again once it is idle (p50/p99 ms), and the ratio of the two.
- ``load``: ``--clients`` concurrent clients for ``--seconds`` mixing by-name, a filtered by-query with its
  total, facets and search, each on its own keep-alive connection; requests/s, errors, p50/p99 per kind.

The load generator runs on the same machine as the server and takes a share of its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
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

from benchmarks.catalog import TOKEN, free_port, portal_config
from benchmarks.generate import write_catalog_tree

HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2),
    }


def requests(names: list[str], rng: random.Random) -> dict[str, Callable[[], tuple[str, dict[str, str]]]]:
    """Each kind of request as (path, query parameters), drawn afresh for each call."""
    return {
        "by_name": lambda: (f"/api/catalog/entities/by-name/component/default/{rng.choice(names)}", {}),
        "filtered_by_query": lambda: (
            "/api/catalog/entities/by-query",
            {"filter": f"kind=component,spec.lifecycle={rng.choice(['production', 'experimental'])}", "limit": "20"},
        ),
        "facets": lambda: ("/api/catalog/entity-facets", {"facet": "spec.type", "filter": "kind=component"}),
        "search": lambda: ("/api/search/query", {"term": rng.choice(["payment", "audit", "stream", "ledger"])}),
    }


def sample_sequentially(http: httpx.Client, names: list[str], until: Callable[[], bool]) -> dict[str, list[float]]:
    rng = random.Random(2)
    kinds = requests(names, rng)
    samples: dict[str, list[float]] = {"by_name": [], "filtered_by_query": []}
    while not until():
        for kind, taken in samples.items():
            path, params = kinds[kind]()
            start = time.perf_counter()
            response = http.get(path, params=params)
            if response.status_code == 200:  # an entity not stitched yet is a 404 during ingestion
                taken.append(time.perf_counter() - start)
    return samples


async def load(base_url: str, names: list[str], clients: int, seconds: float) -> dict[str, object]:
    latencies: dict[str, list[float]] = {kind: [] for kind in requests(names, random.Random(0))}
    errors: dict[str, int] = dict.fromkeys(latencies, 0)
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> None:
        rng = random.Random(number)
        kinds = requests(names, rng)
        order = list(kinds)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base_url, headers=HEADERS, timeout=30, limits=limits) as http:
            while time.perf_counter() < deadline:
                kind = rng.choice(order)
                path, params = kinds[kind]()
                start = time.perf_counter()
                try:
                    response = await http.get(path, params=params)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies[kind].append(time.perf_counter() - start)
                else:
                    errors[kind] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(clients)))
    elapsed = time.perf_counter() - started
    every = [sample for samples in latencies.values() for sample in samples]
    return {
        "figure": "load",
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(len(every) / elapsed, 1),
        "errors": sum(errors.values()),
        "all": percentiles(every),
        **{kind: {**percentiles(samples), "errors": errors[kind]} for kind, samples in latencies.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="callboard-load-"))
    root = write_catalog_tree(work / "catalog", args.count)
    names = [
        doc["metadata"]["name"]
        for path in sorted((work / "catalog").glob("entities-*.yaml"))
        for doc in yaml.safe_load_all(path.read_text("utf-8"))
        if doc and doc.get("kind") == "Component"
    ]
    if args.database == "sqlite":
        database: dict[str, object] = {"connection": str(work / "callboard.db")}
    else:
        import psycopg  # noqa: PLC0415

        name = f"callboard_load_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        database = {"connection": f"{args.pg_url.rsplit('/', 1)[0]}/{name}"}
    port = free_port()
    (work / "app-config.yaml").write_text(yaml.safe_dump(portal_config(port, database, root)))
    expected = args.count + 2
    command = [sys.executable, "-m", "callboard", "serve", "--config", str(work / "app-config.yaml")]
    server = subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=120, headers=HEADERS) as http:
            while True:
                try:
                    http.get("/.backstage/health/v1/readiness")
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)

            def ingested() -> bool:
                total = http.get("/api/catalog/entities/by-query", params={"limit": 0}).json()["totalItems"]
                pending = http.get("/.backstage/health/v1/readiness").json()["catalog"]["pending"]
                return bool(total >= expected and pending == 0)

            busy = sample_sequentially(http, names, ingested)
            quiet_until = time.perf_counter() + 10
            idle = sample_sequentially(http, names, lambda: time.perf_counter() > quiet_until)
            for kind in busy:
                during, after = percentiles(busy[kind]), percentiles(idle[kind])
                ratio = {f"{p}_ratio": round(during[p] / after[p], 2) for p in ("p50_ms", "p99_ms") if during.get(p)}
                print(json.dumps({"figure": f"{kind}_during_ingestion", "during": during, "idle": after, **ratio}))
        print(json.dumps(asyncio.run(load(base_url, names, args.clients, args.seconds))))
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
