"""The relevance set (``relevance.yaml``) and its scores: mean reciprocal rank and nDCG@10."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CASES_FILE = Path(__file__).with_name("relevance.yaml")


@dataclass(frozen=True)
class Case:
    query: str
    expect: tuple[str, ...]
    within: int = 1
    absent: tuple[str, ...] = ()


@dataclass
class Outcome:
    case: Case
    found: list[str]
    reciprocal_rank: float
    ndcg: float
    problems: list[str] = field(default_factory=list)


def load_cases() -> list[Case]:
    raw = yaml.safe_load(CASES_FILE.read_text("utf-8"))
    return [
        Case(
            item["query"], tuple(item.get("expect") or ()), int(item.get("within", 1)), tuple(item.get("absent") or ())
        )
        for item in raw
    ]


def _dcg(grades: Sequence[float]) -> float:
    return sum(grade / math.log2(position + 2) for position, grade in enumerate(grades))


def score(case: Case, found: list[str]) -> Outcome:
    """Reciprocal rank of the first expected result, and nDCG@10 with the expected list graded in order."""
    top = found[:10]
    grades = {location: len(case.expect) - index for index, location in enumerate(case.expect)}
    ideal = _dcg(sorted(grades.values(), reverse=True)[:10])
    ndcg = _dcg([grades.get(location, 0) for location in top]) / ideal if ideal else 1.0
    rank = top.index(case.expect[0]) + 1 if case.expect and case.expect[0] in top else None
    reciprocal = (1.0 / rank if rank else 0.0) if case.expect else 1.0
    problems = []
    if case.expect and (rank is None or rank > case.within):
        problems.append(f"{case.query!r}: {case.expect[0]} at {rank or 'none'}, wanted within {case.within}: {top[:5]}")
    for location in case.absent:
        if location in top:
            problems.append(f"{case.query!r}: {location} should not be found, is at {top.index(location) + 1}")
    return Outcome(case, found, reciprocal, ndcg, problems)


def evaluate(search: Callable[[str], list[str]]) -> list[Outcome]:
    """Run every case through ``search`` (query → result locations, best first)."""
    return [score(case, search(case.query)) for case in load_cases()]


def summary(outcomes: Sequence[Outcome]) -> tuple[float, float]:
    scored = [outcome for outcome in outcomes if outcome.case.expect]
    mrr = sum(outcome.reciprocal_rank for outcome in scored) / len(scored)
    ndcg = sum(outcome.ndcg for outcome in scored) / len(scored)
    return mrr, ndcg
