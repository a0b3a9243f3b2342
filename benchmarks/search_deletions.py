"""Memory and time of the search index's look for deleted entities, at a size no test reaches.

    .venv/bin/python benchmarks/search_deletions.py [--entities 1000000] [--database postgresql]

Fills the catalog's table of served entities and the search index with ``--entities`` rows each (small
stand-ins: only the refs matter to the look), deletes ``--gone`` entities from the catalog, and prints one JSON
object: for the indexer's look (``index_catalog`` with nothing changed, so only the look runs) its seconds,
the peak of memory it allocated (Python's ``tracemalloc``) and the documents it deleted; and, for comparison,
the same figures for holding both lists of refs whole and taking their difference (what the indexer did
before, measured on the same data).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.databases import fresh_postgresql  # noqa: E402
from callboard.app import create_runtime  # noqa: E402
from callboard.assembly import create_callboard  # noqa: E402
from callboard.config_loader import LoadedConfig  # noqa: E402
from callboard.search.documents import CATALOG, TECHDOCS  # noqa: E402
from callboard.settings import settings_from  # noqa: E402
from callboard.storage.db import bulk_insert  # noqa: E402
from callboard.storage.tables import final_entities  # noqa: E402

CHUNK = 50_000


def database(kind: str, work: Path) -> dict[str, Any]:
    if kind == "sqlite":
        return {"client": "better-sqlite3", "connection": {"filename": str(work / "cb.db")}}
    return {"connection": fresh_postgresql("callboard_deletions_bench")}


def measured(look: Callable[[], int], again: Callable[[], object]) -> dict[str, float]:
    """Seconds of one look, then the peak memory of a second, traced one (tracing slows it several times)."""
    started = time.perf_counter()
    deleted = look()
    seconds = time.perf_counter() - started
    again()
    tracemalloc.start()
    look()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": round(seconds, 2), "peak_mb": round(peak / 2**20, 1), "deleted": deleted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--gone", type=int, default=1_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="callboard-deletions-"))
    config = {"backend": {"database": database(args.database, work)}, "catalog": {"locations": []}}
    runtime = create_runtime(create_callboard(settings_from(LoadedConfig(config, []))), cwd=work)
    db, indexer = runtime.database, runtime.indexer
    refs = [f"component:default/service-{number:07d}" for number in range(args.entities)]
    filled = time.perf_counter()
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start : start + CHUNK]
        with db.transaction() as connection:
            entities = [(str(uuid.uuid4()), ref, "-", "{}", "component", 0.0) for ref in chunk]
            columns = ("entity_id", "entity_ref", "hash", "final_entity", "kind", "last_updated_at")
            bulk_insert(connection, "final_entities", columns, entities)
            documents = [(CATALOG, ref, ref, ref, ref, "", "", "", "{}", 0.0) for ref in chunk]
            columns = ("type", "key", "resource_ref", "title", "title_words", "keywords", "text", "location")
            bulk_insert(connection, "search_documents", (*columns, "document", "updated_at"), documents)
    step = max(1, args.entities // max(1, args.gone))
    with db.transaction() as connection:
        gone = refs[::step][: args.gone]
        for start in range(0, len(gone), 500):
            connection.execute(
                final_entities.delete().where(final_entities.c.entity_ref.in_(gone[start : start + 500]))
            )
    db.analyze(["final_entities", "search_documents"])  # as autovacuum, or the catalog's ingestion, would
    fill_seconds = time.perf_counter() - filled
    indexer.engine.save_state(CATALOG, {"since": 1.0, "ref": ""})  # nothing changed since: only the look runs

    def whole_lists() -> int:  # the indexer's look before it went a page at a time
        with db.connect() as connection:
            served = set(connection.scalars(select(final_entities.c.entity_ref)))
        missing = sorted(indexer.engine.keys(CATALOG) - served)
        indexer.engine.delete(CATALOG, missing)
        for ref in missing:
            indexer.engine.replace_resource(TECHDOCS, ref, [])
        return len(missing)

    def undelete() -> None:  # the look deleted the documents of gone entities: put them back for the next
        documents = [(CATALOG, ref, ref, ref, ref, "", "", "", "{}", 0.0) for ref in gone]
        columns = ("type", "key", "resource_ref", "title", "title_words", "keywords", "text", "location")
        with db.transaction() as connection:
            bulk_insert(connection, "search_documents", (*columns, "document", "updated_at"), documents)
        indexer.engine.save_state(CATALOG, {"since": 1.0, "ref": ""})  # and due for the full look again

    before = measured(whole_lists, undelete)
    undelete()
    now = measured(lambda: indexer.index_catalog()[0].deleted, undelete)
    runtime.close()
    print(
        json.dumps(
            {
                "benchmark": "search index: look for deleted entities",
                "database": args.database,
                "entities": args.entities,
                "fill_s": round(fill_seconds, 1),
                "paged": now,
                "both_lists_whole": before,
            }
        )
    )


if __name__ == "__main__":
    main()
