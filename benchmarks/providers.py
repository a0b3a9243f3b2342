"""An entity provider giving its whole set again (Backstage's full mutation), as an org provider does each hour.

    .venv/bin/python benchmarks/providers.py --users 20000 [--database postgresql]

Gives ``--users`` Users once, processes them, then gives them again three ways and prints one JSON object with
the time of each call to ``apply_provider`` (what the provider's scheduled run waits for) and of the
processing that follows: unchanged (nothing to write), every user changed (a new description), and half of
them gone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.databases import fresh_postgresql  # noqa: E402
from callboard.app import create_runtime  # noqa: E402
from callboard.assembly import create_callboard  # noqa: E402
from callboard.config_loader import LoadedConfig  # noqa: E402
from callboard.settings import settings_from  # noqa: E402


def users(count: int, description: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "User",
            "metadata": {"name": f"user-{number:06d}", "description": description},
            "spec": {"profile": {"email": f"user-{number:06d}@example.com"}, "memberOf": []},
        }
        for number in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="callboard-providers-"))
    database: dict[str, Any] = {"connection": f"sqlite:///{work / 'cb.db'}"}
    if args.database == "postgresql":
        database = {"connection": fresh_postgresql("callboard_providers_bench")}
    config = {"backend": {"database": database}, "catalog": {"rules": [{"allow": ["User"]}]}}
    runtime = create_runtime(create_callboard(settings_from(LoadedConfig(config, []))), cwd=work)
    figures: dict[str, dict[str, float]] = {}

    def give(label: str, entities: list[dict[str, Any]]) -> None:
        started = time.perf_counter()
        runtime.catalog.apply_provider("ldap:bench", entities)
        given = time.perf_counter()
        runtime.engine.run_until_idle(3600)
        figures[label] = {
            "apply_provider_s": round(given - started, 2),
            "processing_s": round(time.perf_counter() - given, 2),
        }

    give("first", users(args.users, "first"))
    give("unchanged", users(args.users, "first"))
    give("every user changed", users(args.users, "second"))
    give("half gone", users(args.users // 2, "second"))
    runtime.close()
    summary = {"benchmark": "provider full mutation", "database": args.database, "users": args.users}
    print(json.dumps({**summary, **figures}))


if __name__ == "__main__":
    main()
