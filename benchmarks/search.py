"""Search benchmark: index N generated entities and M docs pages, then time a mix of queries.

    .venv/bin/python benchmarks/search.py --entities 100000 --pages 10000 [--database postgresql]

Documents are made by the same functions the indexer uses (entities from benchmarks/generate.py, docs
pages as MkDocs search indexes with sections of English-like text) and written through the engine, in a
fresh database under build/bench/ (or a fresh PostgreSQL database). Prints JSON lines: indexing rate, index
size per entity, vocabulary build time, then p50/p95/max per query category and overall, in milliseconds,
measured around ``SearchService.query`` (engine, typo correction, permission filter, ranking, highlights).
The target is p95 at most 30 ms at 100,000 entities and 10,000 pages.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import generate_entities
from callboard.search.documents import SearchDocument, docs_documents, entity_document
from callboard.search.service import SearchRequest, SearchService
from callboard.search.store import engine_for
from callboard.storage.db import Database
from callboard.storage.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent
PROSE_SOURCE = REPO / "docs"


def prose_words() -> list[str]:
    """English words with their natural frequencies (Zipf-like), from a long technical text."""
    text = "\n".join(path.read_text("utf-8") for path in sorted(PROSE_SOURCE.rglob("*.md")))
    return [word.lower() for word in re.findall(r"[A-Za-z]{3,}", text)]


def sentence(rng: random.Random, words: list[str], length: int) -> str:
    return " ".join(rng.choice(words) for _ in range(length)).capitalize() + "."


def docs_pages(entities: list[dict[str, Any]], pages: int, rng: random.Random) -> Iterator[SearchDocument]:
    """``pages`` docs pages over the first entities, ten pages per site, three sections per page."""
    words = prose_words()
    for site in range(max(1, pages // 10)):
        entity = entities[site]
        ref = f"component:default/{entity['metadata']['name']}"
        docs = [{"location": "", "title": "Home", "text": sentence(rng, words, 30)}]
        for page in range(10 if site < pages // 10 else pages % 10):
            slug = f"page-{page}"
            title = " ".join(rng.choice(words) for _ in range(3)).title()
            docs.append({"location": f"{slug}/", "title": title, "text": sentence(rng, words, 120)})
            for section in range(3):
                heading = " ".join(rng.choice(words) for _ in range(2)).title()
                anchor = f"{slug}/#section-{section}"
                docs.append({"location": anchor, "title": heading, "text": sentence(rng, words, 40)})
        yield from docs_documents(entity, ref, {"docs": docs})


def timed(call: Callable[[], object], runs: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(runs):
        call()
    return (time.perf_counter() - started) * 1000 / runs


def typo(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word) - 1)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def queries(entities: list[dict[str, Any]], rng: random.Random) -> dict[str, list[str]]:
    names = [entity["metadata"]["name"] for entity in rng.sample(entities, 40)]
    words = sorted({part for name in names for part in name.split("-") if not part.isdigit()})
    prose = [word for word in prose_words() if len(word) > 5]
    return {
        "exact name": names[:20],
        "one common word": rng.sample(words, min(20, len(words))),
        "two words": [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(20)],
        "prefix": [word[:4] for word in rng.sample(words, min(20, len(words)))],
        "typo": [typo(word, rng) for word in rng.sample([w for w in words if len(w) >= 5], 15)],
        "docs words": [f"{rng.choice(prose)} {rng.choice(prose)}" for _ in range(20)],
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def open_database(kind: str, work: Path, pg_url: str) -> tuple[Database, Callable[[], None]]:
    if kind == "sqlite":
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        return Database(f"sqlite:///{work / 'search.db'}"), lambda: None
    import psycopg  # noqa: PLC0415

    name = f"callboard_search_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return Database(f"postgresql+psycopg://{pg_url.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--runs", type=int, default=5, help="Times each query is run.")
    parser.add_argument("--keep", action="store_true", help="Keep the PostgreSQL database (to look at plans).")
    args = parser.parse_args()
    rng = random.Random(11)

    database, drop = open_database(args.database, REPO / "build" / "bench" / "search-sqlite", args.pg_url)
    try:
        upgrade(database)
        engine = engine_for(database)
        entities = list(generate_entities(args.entities))
        started = time.perf_counter()
        batch: list[SearchDocument] = []
        for index, entity in enumerate(entities):
            batch.append(entity_document(entity, f"{entity['kind']}:default/{entity['metadata']['name']}".lower()))
            if len(batch) == 1000 or index == len(entities) - 1:
                engine.upsert(batch)
                batch = []
        entity_seconds = time.perf_counter() - started
        started = time.perf_counter()
        docs = list(docs_pages([e for e in entities if e["kind"] == "Component"], args.pages, rng))
        for start in range(0, len(docs), 1000):
            engine.upsert(docs[start : start + 1000])
        docs_seconds = time.perf_counter() - started
        if args.database == "postgresql":
            with database.connect() as connection:
                connection.exec_driver_sql("ANALYZE search_documents")
        size = engine.size()
        print(
            json.dumps(
                {
                    "database": args.database,
                    "entities": args.entities,
                    "docs_documents": len(docs),
                    "index_entities_per_s": round(args.entities / entity_seconds),
                    "index_docs_sections_per_s": round(len(docs) / docs_seconds),
                    "index_bytes": size["bytes"],
                    "bytes_per_document": round(size["bytes"] / size["rows"]),
                    "bytes_per_entity_incl_docs": round(size["bytes"] / args.entities),
                    "rows_per_entity": 1,
                }
            )
        )
        service = SearchService(engine)
        vocabulary_ms = timed(service.vocabulary.build_now)
        print(
            json.dumps(
                {"vocabulary_build_ms": round(vocabulary_ms), "words": len(service.vocabulary.build_now().sorted_words)}
            )
        )
        everything: list[float] = []
        for category, terms in queries(entities, rng).items():
            times = []
            for term in terms:
                service.query(SearchRequest(term=term))  # warm the page cache for this term
                times += [timed(lambda term=term: service.query(SearchRequest(term=term))) for _ in range(args.runs)]
            everything += times
            print(json.dumps({"category": category, "queries": len(terms), **summary(times)}))
        restricted = [
            timed(lambda term=term: service.query(SearchRequest(term=term), lambda refs: set(refs[::2])))
            for term in queries(entities, rng)["one common word"]
        ]
        print(json.dumps({"category": "one common word, half hidden by permissions", **summary(restricted)}))
        print(json.dumps({"category": "all", "queries": len(everything) // args.runs, **summary(everything)}))
        update = [entity_document(e, f"{e['kind']}:default/{e['metadata']['name']}".lower()) for e in entities[:100]]
        print(json.dumps({"incremental_upsert_100_ms": round(timed(lambda: engine.upsert(update), 5), 1)}))
    finally:
        database.dispose()
        if args.keep:
            print(json.dumps({"kept": database.url.render_as_string(hide_password=False)}))
        else:
            drop()


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
    }


if __name__ == "__main__":
    main()
