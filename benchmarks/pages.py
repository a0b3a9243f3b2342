"""Page-render benchmark: the portal's pages over a catalog of N generated entities.

    .venv/bin/python benchmarks/pages.py --count 100000 [--database postgresql] [--runs 30]

Ingests N entities once into build/bench/pages-<database>-<N>/ (reused by later runs of the same size), serves
the portal on 127.0.0.1, and requests each page type repeatedly. Prints one JSON object per page with the
server time (the ``Server-Timing`` header: routing, queries and template rendering, without the network)
as p50/p95/max in milliseconds, and the page's size. The target is a catalog page in at most 100 ms at 100,000.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import write_catalog_tree
from callboard.core.identity import Identity
from tests.support import AUTH, Server, make_runtime

REPO = Path(__file__).resolve().parent.parent
KINDS = ["Component", "API", "System", "Group", "User", "Location", "Resource", "Domain"]


def database_config(kind: str, work: Path, pg_url: str, count: int) -> dict[str, Any]:
    if kind == "sqlite":
        return {"connection": str(work / "callboard.db")}
    import psycopg  # noqa: PLC0415

    name = f"callboard_pages_{count}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
            (work / "ready").unlink(missing_ok=True)
    return {"connection": f"{pg_url.rsplit('/', 1)[0]}/{name}"}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def server_ms(response: httpx.Response) -> float:
    header = response.headers["server-timing"]
    return float(header.split("dur=", 1)[1])


def pick(http: httpx.Client, kind: str) -> str:
    entity = http.get("/api/catalog/entities", params={"filter": f"kind={kind}", "limit": 1}).json()[0]
    return f"/catalog/{entity['metadata'].get('namespace', 'default')}/{kind}/{entity['metadata']['name']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    work = REPO / "build" / "bench" / f"pages-{args.database}-{args.count}"
    work.mkdir(parents=True, exist_ok=True)
    database = database_config(args.database, work, args.pg_url, args.count)
    root = work / "catalog" / "all.yaml"
    if not (work / "ready").exists():
        root = write_catalog_tree(work / "catalog", args.count)
    config = {
        "backend": {"database": database},
        "catalog": {"rules": [{"allow": KINDS}], "locations": [{"type": "file", "target": str(root)}]},
        # Two readers whose catalog.entity.read is conditional, to price permission filtering.
        "permission": {
            "rules": [
                {
                    "permission": "catalog.entity.read",
                    "principals": ["user:default/bench-owner"],
                    "conditions": {"isEntityOwner": True},
                },
                {
                    "permission": "catalog.entity.read",
                    "principals": ["user:default/bench-annotated"],
                    "conditions": {"hasAnnotation": "github.com/project-slug"},
                },
            ]
        },
    }
    runtime = make_runtime(config, work)
    try:
        if not (work / "ready").exists():
            started = time.perf_counter()
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(timeout=7200)
            print(
                json.dumps(
                    {"figure": "ingestion", "entities": args.count, "seconds": round(time.perf_counter() - started, 1)}
                )
            )
            (work / "ready").write_text(str(root))
        rss_before = rss_mb()
        started = time.perf_counter()
        runtime.catalog.views.refresh_browse_index()
        print(
            json.dumps(
                {
                    "figure": "browse_index_build",
                    "database": args.database,
                    "entities": args.count,
                    "seconds": round(time.perf_counter() - started, 2),
                    "process_rss_mb_before": rss_before,
                    "process_rss_mb_after": rss_mb(),
                }
            ),
            flush=True,
        )
        with Server(runtime.web) as server, httpx.Client(base_url=server.url, timeout=60, headers=AUTH) as http:
            owner = http.get(
                "/api/catalog/entity-facets", params={"facet": "relations.ownedBy", "filter": "kind=component"}
            ).json()
            top_owner = owner["facets"]["relations.ownedBy"][0]["value"]
            pages = {
                "catalog": "/catalog?kind=component",
                "catalog_type_and_lifecycle": "/catalog?kind=component&type=service&lifecycle=production",
                "catalog_owner": f"/catalog?kind=component&owner={top_owner}",
                "catalog_sorted_by_owner": "/catalog?kind=component&sort=owner",
                "catalog_page_100": "/catalog?kind=component&page=100",
                "catalog_text": "/catalog?kind=component&q=ab",
                "catalog_htmx_fragment": "/catalog?kind=component&type=service",
                "api_explorer": "/apis",
                "component_overview": pick(http, "component"),
                "api_definition": pick(http, "api") + "/definition",
                "group_overview": pick(http, "group"),
                "dependencies_depth_2": pick(http, "component") + "/dependencies?depth=2",
                "quick_jump": "/ui/quick-jump?q=ab",
            }
            owners = [item["value"] for item in owner["facets"]["relations.ownedBy"][:20]]
            readers = {
                "owner_of_20_groups": runtime.auth.tokens.issue(
                    Identity("user", "user:default/bench-owner", ("user:default/bench-owner", *owners))
                ),
                "annotation_condition": runtime.auth.tokens.issue(
                    Identity("user", "user:default/bench-annotated", ("user:default/bench-annotated",))
                ),
            }
            for reader, token in readers.items():
                for name in ("catalog", "catalog_type_and_lifecycle", "quick_jump"):
                    bearer = {"Authorization": f"Bearer {token}"}
                    http.get(pages[name], headers=bearer).raise_for_status()
                    times = sorted(server_ms(http.get(pages[name], headers=bearer)) for _ in range(args.runs))
                    print(
                        json.dumps(
                            {
                                "figure": "page_with_permission_filter",
                                "page": name,
                                "reader": reader,
                                "database": args.database,
                                "entities": args.count,
                                "p50_ms": round(statistics.median(times), 1),
                                "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                            }
                        ),
                        flush=True,
                    )
            for name, path in pages.items():
                headers = {"HX-Request": "true"} if name == "catalog_htmx_fragment" else {}
                first = http.get(path, headers=headers)
                first.raise_for_status()
                times = sorted(server_ms(http.get(path, headers=headers)) for _ in range(args.runs))
                print(
                    json.dumps(
                        {
                            "figure": "page",
                            "page": name,
                            "database": args.database,
                            "entities": args.count,
                            "p50_ms": round(statistics.median(times), 1),
                            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                            "max_ms": round(times[-1], 1),
                            "kb": round(len(first.content) / 1024, 1),
                        }
                    ),
                    flush=True,
                )
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
