"""Memory and time of one build of the catalog table's in-memory index, at a size no test reaches.

    .venv/bin/python benchmarks/browse_memory.py [--entities 1000000]

Feeds the index filter rows shaped like the side-by-side benchmark's catalog (half components; five types,
three lifecycles, 300 owning teams, 150 systems, tags from a list of 40; every entity a name, one in five a
title), as the database would stream them, and prints one JSON object: build seconds, the peak of memory
allocated during a second, traced build and what the finished index keeps (Python's ``tracemalloc``, so
allocator overhead aside), and the process's peak resident size after the first (the ids are in it too).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callboard.catalog.browse_index import Snapshot  # noqa: E402

KINDS = ["component"] * 10 + ["api"] * 3 + ["resource"] * 2 + ["user"] * 4 + ["group"]
TYPES = ["service", "website", "library", "openapi", "database"]
LIFECYCLES = ["production", "experimental", "deprecated"]
TAGS = [f"tag-{number}" for number in range(40)]


def rows(ids: list[str], seed: int) -> Iterator[tuple[str, str, str | None, str | None]]:
    """(entity id, key, value as written, lower-case value), a few rows per entity as in the filter index."""
    chance = random.Random(seed)
    for number, entity_id in enumerate(ids):
        kind = chance.choice(KINDS)
        name = f"{kind}-{number:07d}-{chance.choice(TAGS)}"
        yield entity_id, "kind", kind.title(), kind
        yield entity_id, "metadata.namespace", "default", "default"
        yield entity_id, "metadata.name", name, name.lower()
        if number % 5 == 0:
            title = f"The {name.replace('-', ' ')}"
            yield entity_id, "metadata.title", title, title.lower()
        if kind in ("component", "api", "resource"):
            kind_type = chance.choice(TYPES)
            owner = f"group:default/team-{chance.randrange(300)}"
            system = f"system-{chance.randrange(150)}"
            lifecycle = chance.choice(LIFECYCLES)
            yield entity_id, "spec.type", kind_type, kind_type
            yield entity_id, "spec.lifecycle", lifecycle, lifecycle
            yield entity_id, "spec.owner", owner, owner
            yield entity_id, "relations.ownedby", owner, owner
            yield entity_id, "spec.system", system, system
            for tag in chance.sample(TAGS, 2):
                yield entity_id, "metadata.tags", tag, tag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ids = [str(uuid.UUID(int=random.Random(args.seed).getrandbits(128) ^ number)) for number in range(args.entities)]
    started = time.perf_counter()
    snapshot = Snapshot(ids, rows(ids, args.seed))
    seconds = time.perf_counter() - started
    first_page = len(snapshot.page(snapshot.everything, "spec.owner", False, 0, 25))
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del snapshot
    tracemalloc.start()  # a second build, traced (tracing makes it several times slower)
    traced = Snapshot(ids, rows(ids, args.seed))
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(traced.ids) == args.entities
    print(
        json.dumps(
            {
                "benchmark": "browse index build",
                "entities": args.entities,
                "build_s": round(seconds, 2),
                "build_peak_mb": round(peak / 2**20, 1),
                "kept_mb": round(kept / 2**20, 1),
                "process_peak_rss_mb_untraced": round(peak_rss, 1),
                "first_page": first_page,
            }
        )
    )


if __name__ == "__main__":
    main()
