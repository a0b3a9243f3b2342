"""Full-text search in a million-entity catalog on PostgreSQL: ``totalItems`` and the page of 20 by name, for a
common, a middling and a rare term.

    .venv/bin/python benchmarks/fulltext.py [--copies 100] [--runs 7] [--rebuild]

Builds the database ``callboard_fulltext_bench`` once (kept for later runs; ``--rebuild`` makes it again): the
side-by-side benchmark's 10,000 entities ingested by the catalog engine, then copied in SQL ``copies`` times with
new ids and names suffixed ``-c001``…, only the filter rows a text search and a filtered page read (name, title,
description, display name, kind, namespace, type, lifecycle). Prints one JSON object: per term its matches and
the median milliseconds of each step, and of the page as the web UI's table asks for it (kind=component).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ingestion import KINDS, catalog  # noqa: E402
from callboard.app import create_runtime  # noqa: E402
from callboard.assembly import create_callboard  # noqa: E402
from callboard.catalog import query_store  # noqa: E402
from callboard.catalog.filters import parse_filters  # noqa: E402
from callboard.catalog.page_order import OrderField  # noqa: E402
from callboard.catalog.query_store import TEXT_KEYS, FullText  # noqa: E402
from callboard.config_loader import LoadedConfig  # noqa: E402
from callboard.settings import settings_from  # noqa: E402
from callboard.storage.db import Database  # noqa: E402

NAME = "callboard_fulltext_bench"
URL = f"postgresql://postgres@127.0.0.1:5432/{NAME}"
COPIED_KEYS = (*TEXT_KEYS, "kind", "metadata.namespace", "spec.type", "spec.lifecycle")
FIELDS = ("metadata.name", "metadata.title")


def psql(*commands: str, database: str = "postgres") -> str:
    arguments = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qAt"]
    for command in commands:
        arguments += ["-c", command]
    return subprocess.run(arguments, check=True, capture_output=True, text=True).stdout.strip()


def build(copies: int) -> None:
    psql(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)", f"CREATE DATABASE {NAME}")
    root = catalog(10_000)
    config = {
        "backend": {
            "database": {"connection": URL},
            "auth": {"externalAccess": [{"type": "static", "options": {"token": "t" * 24, "subject": "bench"}}]},
        },
        "catalog": {"rules": [{"allow": KINDS}], "locations": [{"type": "file", "target": str(root)}]},
    }
    runtime = create_runtime(create_callboard(settings_from(LoadedConfig(config, []))), cwd=Path(tempfile.mkdtemp()))
    runtime.catalog.sync_locations()
    runtime.engine.run_until_idle(3600)
    runtime.close()
    keys = ", ".join(f"'{key}'" for key in COPIED_KEYS)
    suffix = "'-c' || lpad(c::text, 3, '0')"
    started = time.perf_counter()
    indexes = psql(
        "SELECT indexdef FROM pg_indexes WHERE tablename IN ('search', 'final_entities') AND indexname NOT LIKE '%pkey'"
        " AND indexdef NOT LIKE '%UNIQUE%'",
        database=NAME,
    ).splitlines()
    psql(
        "CREATE TABLE base_entities AS SELECT * FROM final_entities",
        f"CREATE TABLE base_search AS SELECT * FROM search WHERE key IN ({keys})",
        *(f"DROP INDEX {index.split()[2]}" for index in indexes),
        "INSERT INTO final_entities (entity_id, entity_ref, hash, final_entity, kind, last_updated_at)"
        f" SELECT md5(entity_id || '-' || c)::uuid::text, entity_ref || {suffix}, hash, final_entity, kind,"
        f" last_updated_at FROM base_entities, generate_series(1, {copies - 1}) c",
        "INSERT INTO search (entity_id, key, original_value, value, kind)"
        f" SELECT md5(entity_id || '-' || c)::uuid::text, key,"
        f" CASE WHEN key = 'metadata.name' THEN original_value || {suffix} ELSE original_value END,"
        f" CASE WHEN key = 'metadata.name' THEN value || {suffix} ELSE value END, kind"
        f" FROM base_search, generate_series(1, {copies - 1}) c",
        *indexes,
        "DROP TABLE base_entities",
        "DROP TABLE base_search",
        "VACUUM ANALYZE",
        database=NAME,
    )
    print(f"copied {copies - 1} times in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def median_ms(runs: int, step: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def measure(connection: Connection, full_text: FullText, runs: int) -> dict[str, Any]:
    """One term: its matches, ``totalItems`` and the page of 20 by name (medians in milliseconds)."""
    matches = query_store.count_entities(connection, (), full_text)
    components = parse_filters(["kind=component"])
    order = [OrderField("metadata.name")]
    return {
        "term": full_text.term,
        "matches": matches,
        "total_items_ms": median_ms(runs, lambda: query_store.count_entities(connection, (), full_text)),
        "page_ms": median_ms(
            runs, lambda: query_store.query_page(connection, (), order=order, full_text=full_text, limit=21)
        ),
        "components_page_ms": median_ms(
            runs, lambda: query_store.query_page(connection, components, order=order, full_text=full_text, limit=21)
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{NAME}'")
    if args.rebuild or not exists:
        build(args.copies)
    manifest = json.loads((catalog(10_000).parent / "manifest.json").read_text())
    component = manifest["sample_components"][0]  # e.g. "ledger-audit-00417"
    terms = {"common": manifest["search_word"], "middling": component[-5:], "rare": f"{component}-c042"}
    database = Database(URL)  # Callboard's own connections, with their settings
    engine = database.engine
    found: dict[str, Any] = {}
    with engine.connect() as connection:
        entities = connection.execute(text("SELECT count(*) FROM final_entities")).scalar_one()
        for label, term in terms.items():
            found[label] = measure(connection, FullText(term, FIELDS), args.runs)
    database.dispose()
    print(json.dumps({"benchmark": "full text on PostgreSQL", "entities": entities, "terms": found}, indent=1))


if __name__ == "__main__":
    main()
