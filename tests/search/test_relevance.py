"""The relevance set over the demo catalog and its docs, on both engines: every case must hold."""

from __future__ import annotations

from tests.search.conftest import IndexedDemo
from tests.search.relevance import evaluate, load_cases, summary


def test_the_relevance_set_has_at_least_forty_queries() -> None:
    assert len(load_cases()) >= 40


def test_every_query_finds_what_people_mean(demo: IndexedDemo) -> None:
    def search(term: str) -> list[str]:
        return [result["document"]["location"] for result in demo.search(term, pageLimit=10)["results"]]

    outcomes = evaluate(search)
    problems = [problem for outcome in outcomes for problem in outcome.problems]
    assert not problems, "\n".join(problems)
    mrr, ndcg = summary(outcomes)
    assert mrr >= 0.9 and ndcg >= 0.8, (mrr, ndcg)
