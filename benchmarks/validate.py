"""Parse and validate generated descriptors; print entities/s for parsing and for validation, as JSON lines.

    .venv/bin/python benchmarks/validate.py [--count 100000]

Figures are for one core (this process is single-threaded). The libyaml baseline is PyYAML's C loader alone
(``yaml.load_all`` with ``CSafeLoader``), i.e. the floor for any parser built on libyaml.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import as_yaml, generate_entities
from callboard.catalog.descriptors import Document, parse_documents
from callboard.catalog.kinds import KindRegistry, builtin_kinds
from callboard.catalog.pipeline import EntityPipeline
from callboard.core.limits import DescriptorLimits


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()

    entities = list(generate_entities(args.count))
    text = as_yaml(entities)
    inline_openapi = sum(1 for e in entities if str(e["spec"].get("definition", "")).startswith("openapi"))

    start = time.perf_counter()
    baseline = sum(1 for _ in yaml.load_all(text, Loader=yaml.CSafeLoader))
    baseline_seconds = time.perf_counter() - start

    start = time.perf_counter()
    limits = DescriptorLimits(file_bytes=len(text) * 4, documents_per_file=args.count + 1)
    documents = [item for item in parse_documents(text, "bench.yaml", limits) if isinstance(item, Document)]
    parse_seconds = time.perf_counter() - start
    assert len(documents) == args.count == baseline

    pipeline = EntityPipeline(KindRegistry(builtin_kinds()))
    # The parsed input is benchmark scaffolding held in memory all at once; the engine validates in batches.
    # Freezing it keeps the garbage collector from rescanning 10^5 live documents on every collection.
    gc.freeze()
    start = time.perf_counter()
    valid = sum(pipeline.process(document.data).ok for document in documents)
    validate_seconds = time.perf_counter() - start
    assert valid == args.count, f"only {valid} of {args.count} generated entities are valid"

    figures = {
        "benchmark": "validate",
        "entities": args.count,
        "inline_openapi_definitions": inline_openapi,
        "yaml_megabytes": round(len(text) / 1e6, 1),
        "libyaml_baseline_per_s": _rate(args.count, baseline_seconds),
        "parse_per_s": _rate(args.count, parse_seconds),
        "validate_per_s": _rate(args.count, validate_seconds),
        "parse_and_validate_per_s": _rate(args.count, parse_seconds + validate_seconds),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
