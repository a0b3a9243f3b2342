"""Backstage's filter predicates become the catalog's filter sets: logic in normal form, negations pushed
down to single conditions, every mistake a 400 naming where it is, and no query that multiplies out past
the configured limit."""

from __future__ import annotations

from typing import Any

import pytest

from callboard.catalog.filters import Condition, decode_filters, encode_filters
from callboard.catalog.predicates import EVERYTHING, NOTHING, both, parse_predicate
from callboard.core.errors import InputError


def c(key: str, *values: str, negated: bool = False, prefix: bool = False, exists: bool = False) -> Condition:
    return Condition(key, None if exists else values, negated, prefix)


def test_fields_of_one_object_must_all_match_and_compare_as_lower_case_text() -> None:
    found = parse_predicate({"Kind": "Component", "spec.replicas": 3.0, "spec.public": True, "x": 1.5, "y": 10**400})
    assert found == (
        (
            c("kind", "component"),
            c("spec.replicas", "3"),
            c("spec.public", "true"),
            c("x", "1.5"),
            c("y", str(10**400)),
        ),
    )


def test_all_any_and_not_in_normal_form() -> None:
    query = {"$all": [{"kind": "component"}, {"$any": [{"spec.type": "service"}, {"spec.type": "website"}]}]}
    assert parse_predicate(query) == (
        (c("kind", "component"), c("spec.type", "service")),
        (c("kind", "component"), c("spec.type", "website")),
    )
    # not (a and (b or c)) = (not a) or ((not b) and (not c))
    assert parse_predicate({"$not": query}) == (
        (c("kind", "component", negated=True),),
        (c("spec.type", "service", negated=True), c("spec.type", "website", negated=True)),
    )
    assert parse_predicate({"$not": {"$not": {"kind": "api"}}}) == ((c("kind", "api"),),)


def test_value_operators() -> None:
    assert parse_predicate({"a": {"$exists": True}, "b": {"$exists": False}}) == (
        (c("a", exists=True), c("b", exists=True, negated=True)),
    )
    assert parse_predicate({"$not": {"b": {"$exists": False}}}) == ((c("b", exists=True),),)
    assert parse_predicate({"spec.type": {"$in": ["Service", 7]}}) == ((c("spec.type", "service", "7"),),)
    assert parse_predicate({"metadata.name": {"$hasPrefix": "Artist-"}}) == (
        (c("metadata.name", "artist-", prefix=True),),
    )


def test_empty_forms_match_what_backstage_matches() -> None:
    assert parse_predicate({}) == ()  # no condition: everything
    assert parse_predicate({"$all": []}) == NOTHING
    assert parse_predicate({"$any": []}) == NOTHING
    assert parse_predicate({"$not": {"$any": []}}) == ()
    assert both((), NOTHING) == NOTHING and both(EVERYTHING, ()) == EVERYTHING


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("component", "top-level primitive values are not supported"),
        ({"$all": {"kind": "api"}}, r"query.\$all must be a list of predicates"),
        ({"$all": [{"kind": "api"}, "api"]}, r"query.\$all\[1\] must be an object"),
        ({"$not": {"kind": "api"}, "kind": "api"}, r"\$not must stand alone"),
        ({"$or": []}, r"unknown operator \$or"),
        ({"metadata.tags": {"$contains": "java"}}, r'field "metadata.tags" \(query.metadata.tags\) must be'),
        ({"spec.type": {"$in": "service"}}, r'field "spec.type"'),
        ({"spec.type": None}, r'field "spec.type"'),
        ({"spec.type": float("nan")}, r'field "spec.type"'),
    ],
)
def test_mistakes_name_where_they_are(query: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_predicate(query)


def test_a_query_that_multiplies_out_past_the_limit_is_refused() -> None:
    pair = {"$any": [{"a": "1"}, {"b": "2"}]}
    with pytest.raises(InputError, match=r"more than 100 conditions \(backend.limits.query.maxConditions\)"):
        parse_predicate({"$all": [pair] * 10}, max_conditions=100)  # 2**10 alternatives of 10 conditions
    deep: dict[str, Any] = {"kind": "api"}
    for _ in range(40):
        deep = {"$not": deep}
    with pytest.raises(InputError, match="nests deeper than 32 levels"):
        parse_predicate(deep)


def test_cursors_carry_negated_and_prefix_conditions_and_refuse_unknown_flags() -> None:
    sets = parse_predicate(
        {"$all": [{"$not": {"$not": {"metadata.name": {"$hasPrefix": "a"}}}}, {"kind": {"$exists": False}}]}
    )
    assert sets == ((c("metadata.name", "a", prefix=True), c("kind", exists=True, negated=True)),)
    assert decode_filters(encode_filters(sets)) == sets
    with pytest.raises(InputError, match="Malformed cursor"):
        decode_filters([[["kind", ["api"], "sideways"]]])
