"""Relevance benchmark: the relevance set (tests/search/relevance.yaml) over the demo catalog and its docs.

    .venv/bin/python benchmarks/relevance.py [--database sqlite|postgresql|both]

Loads the demo, builds its docs, indexes everything, runs every query through ``GET /api/search/query``
and prints, per engine, the mean reciprocal rank of the intended result and the mean nDCG@10 (the expected
results graded in the order listed), then the queries that miss their mark.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.search.conftest import indexed_demo
from tests.search.relevance import evaluate, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for backend in ["sqlite", "postgresql"] if args.database == "both" else [args.database]:
        with tempfile.TemporaryDirectory() as temp, indexed_demo(Path(temp), backend) as demo:

            def search(term: str) -> list[str]:
                results = demo.search(term, pageLimit=10)["results"]
                return [result["document"]["location"] for result in results]

            outcomes = evaluate(search)
        mrr, ndcg = summary(outcomes)
        first = sum(1 for outcome in outcomes if outcome.case.expect and outcome.reciprocal_rank == 1.0)
        scored = sum(1 for outcome in outcomes if outcome.case.expect)
        print(
            json.dumps(
                {
                    "engine": backend,
                    "queries": len(outcomes),
                    "mrr": round(mrr, 3),
                    "ndcg_at_10": round(ndcg, 3),
                    "intended_result_first": f"{first}/{scored}",
                }
            )
        )
        for outcome in outcomes:
            for problem in outcome.problems:
                print(f"  miss: {problem}")


if __name__ == "__main__":
    main()
