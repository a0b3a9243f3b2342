"""Cold ingestion inside one process, phase by phase: where the time goes, without a server around it.

    .venv/bin/python benchmarks/ingestion.py --count 10000 [--database postgresql]

Generates the side-by-side benchmark's catalog (``benchmarks/compare/gen_catalog.py``, kept between runs),
ingests it with the catalog engine alone (no HTTP server, no search indexing) and prints one JSON object:
the wall time, and the time spent in processing (reading, parsing, validating), writing outcomes and
stitching (computing and writing final entities and the filter index). On PostgreSQL writing overlaps
processing, so the phases add up to more than the wall time there.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.databases import fresh_postgresql  # noqa: E402
from callboard.app import create_runtime  # noqa: E402
from callboard.assembly import create_callboard  # noqa: E402
from callboard.catalog import engine as engine_module  # noqa: E402
from callboard.catalog import stitch_store  # noqa: E402
from callboard.config_loader import LoadedConfig  # noqa: E402
from callboard.settings import settings_from  # noqa: E402

KINDS = ["Component", "System", "API", "Resource", "Location", "Domain", "Group", "User"]
TOKEN = "bench-token-0123456789"


def catalog(count: int) -> Path:
    folder = Path(tempfile.gettempdir()) / "callboard-bench" / f"catalog-{count}"
    if not folder.is_dir():
        generator = ROOT / "benchmarks" / "compare" / "gen_catalog.py"
        subprocess.run(
            [sys.executable, str(generator), "--n", str(count), "--seed", "1", "--out", str(folder)], check=True
        )
    return folder / "catalog-info.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    root = catalog(args.count)
    work = Path(tempfile.mkdtemp(prefix="callboard-ingestion-"))
    if args.database == "sqlite":
        database: dict[str, Any] = {"client": "better-sqlite3", "connection": {"filename": str(work / "cb.db")}}
    else:
        database = {"connection": fresh_postgresql("callboard_ingestion_bench")}
    config = {
        "backend": {
            "database": database,
            "auth": {
                "externalAccess": [
                    {"type": "static", "options": {"token": "bench-token-0123456789", "subject": "bench"}}
                ]
            },
        },
        "catalog": {"rules": [{"allow": KINDS}], "locations": [{"type": "file", "target": str(root)}]},
    }
    runtime = create_runtime(create_callboard(settings_from(LoadedConfig(config, []))), cwd=work)
    spent: collections.Counter[str] = collections.Counter()

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def measured(*arguments: Any, **options: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*arguments, **options)
            finally:
                spent[name] += time.perf_counter() - started

        return measured

    engine = runtime.engine
    engine._process = timed("processing", engine._process)  # type: ignore[method-assign]
    engine_module.store.write_outcomes = timed("writing outcomes", engine_module.store.write_outcomes)
    stitch_store.plan_stitch = timed("stitching: compute", stitch_store.plan_stitch)
    stitch_store.apply_stitch = timed("stitching: write", stitch_store.apply_stitch)
    started = time.perf_counter()
    runtime.catalog.sync_locations()
    items = engine.run_until_idle(3600)
    wall = time.perf_counter() - started
    runtime.close()
    print(
        json.dumps(
            {
                "benchmark": "cold ingestion in one process",
                "database": args.database,
                "entities": args.count,
                "items": items,
                "wall_s": round(wall, 2),
                "phases_s": {name: round(seconds, 2) for name, seconds in spent.most_common()},
            }
        )
    )


if __name__ == "__main__":
    main()
