"""Backstage's filter predicates (``POST /entities/by-query``, ``/entity-facets``, ``/entities/by-refs``), as
the catalog's filter sets.

A predicate is an object: ``{"kind": "component", "spec.type": {"$in": ["service"]}}`` (every field must
match), or one of ``{"$all": [...]}``, ``{"$any": [...]}``, ``{"$not": ...}``. Field values are a primitive
(case-insensitive equality; numbers and booleans compare as their text), ``{"$exists": bool}``,
``{"$in": [...]}`` or ``{"$hasPrefix": "..."}``, the operators Backstage's catalog answers in SQL (it
refuses ``$contains`` the same way).

The result is in disjunctive normal form, with negations pushed down to single conditions (De Morgan), so
the same SQL, cursors and permission narrowing serve both syntaxes. Normal forms can grow exponentially
(``$all`` of ``$any``s multiplies out); past ``max_conditions`` the query is refused, naming the limit.
"""

from __future__ import annotations

import math
from typing import Any

from callboard.catalog.filters import Condition, FilterSets
from callboard.core.errors import InputError

#: Matches nothing: ``kind IN ()``. An empty ``$all`` or ``$any`` matches nothing in Backstage.
NOTHING: FilterSets = ((Condition("kind", ()),),)
#: Matches everything: one alternative without conditions.
EVERYTHING: FilterSets = ((),)
#: How deeply predicates may nest: deeper is no real query, and recursion must stay bounded.
MAX_DEPTH = 32

Conjunctions = list[tuple[Condition, ...]]


def parse_predicate(raw: Any, *, max_conditions: int = 1000) -> FilterSets:
    """The filter sets a predicate means; ``()`` (no filter) when it matches everything."""
    if not isinstance(raw, dict):
        raise InputError(
            "Invalid query: top-level primitive values are not supported; wrap the value in a field "
            'expression, e.g. {"kind": "component"}'
        )
    found = _Normaliser(max_conditions).normal(raw, False, "query", 0)
    if any(not conjunction for conjunction in found):
        return ()
    return tuple(found) if found else NOTHING


class _Normaliser:
    def __init__(self, max_conditions: int) -> None:
        self._max = max_conditions

    def normal(self, predicate: Any, negate: bool, where: str, depth: int) -> Conjunctions:
        if depth > MAX_DEPTH:
            raise InputError(f"Invalid query: {where} nests deeper than {MAX_DEPTH} levels")
        if not isinstance(predicate, dict):
            raise InputError(f"Invalid query: {where} must be an object, got {_shown(predicate)}")
        logical = [key for key in ("$all", "$any", "$not") if key in predicate]
        if logical:
            if len(predicate) != 1:
                raise InputError(f"Invalid query: {where}: {logical[0]} must stand alone in its object")
            return self._logical(logical[0], predicate[logical[0]], negate, where, depth)
        unknown = [key for key in predicate if key.startswith("$")]
        if unknown:
            raise InputError(f"Invalid query: {where}: unknown operator {unknown[0]}; use $all, $any or $not")
        conditions = [self._field(key, value, negate, f"{where}.{key}") for key, value in predicate.items()]
        if negate:  # not (a and b) = (not a) or (not b)
            return self._checked([(condition,) for condition in conditions], where)
        return [tuple(conditions)]

    def _logical(self, operator: str, operand: Any, negate: bool, where: str, depth: int) -> Conjunctions:
        here = f"{where}.{operator}"
        if operator == "$not":
            return self.normal(operand, not negate, here, depth + 1)
        if not isinstance(operand, list):
            raise InputError(f"Invalid query: {here} must be a list of predicates, got {_shown(operand)}")
        parts = [self.normal(item, negate, f"{here}[{index}]", depth + 1) for index, item in enumerate(operand)]
        if not parts:
            # Empty $all and $any match nothing (Backstage: 1 = 0); negated, everything.
            return [()] if negate else []
        # $any is a union; $all is a product. Negation swaps them (De Morgan).
        if (operator == "$any") != negate:
            return self._checked([conjunction for part in parts for conjunction in part], where)
        product: Conjunctions = [()]
        for part in parts:
            product = self._checked([left + right for left in product for right in part], where)
        return product

    def _field(self, key: str, value: Any, negate: bool, where: str) -> Condition:
        key = key.lower()
        if _primitive(value):
            return Condition(key, (_text(value),), negate)
        if isinstance(value, dict) and len(value) == 1:
            operator, operand = next(iter(value.items()))
            if operator == "$exists" and isinstance(operand, bool):
                return Condition(key, None, negate != (not operand))
            if operator == "$in" and isinstance(operand, list) and all(_primitive(item) for item in operand):
                return Condition(key, tuple(_text(item) for item in operand), negate)
            if operator == "$hasPrefix" and isinstance(operand, str):
                return Condition(key, (operand.lower(),), negate, prefix=True)
        raise InputError(
            f'Invalid query: the value of field "{key}" ({where}) must be a string, number or boolean, or one of '
            f"{{$exists: true|false}}, {{$in: [values]}}, {{$hasPrefix: text}}; got {_shown(value)}"
        )

    def _checked(self, conjunctions: Conjunctions, where: str) -> Conjunctions:
        if sum(len(conjunction) for conjunction in conjunctions) > self._max:
            raise InputError(
                f"Invalid query: {where} expands to more than {self._max} conditions "
                "(backend.limits.query.maxConditions); simplify it, e.g. with $in instead of $any of fields"
            )
        return conjunctions


def _primitive(value: Any) -> bool:
    # Any int is finite (and may be too large for a float); a float may be NaN or infinite (not JSON).
    return isinstance(value, str | int) or (isinstance(value, float) and math.isfinite(value))


def _text(value: Any) -> str:
    """As JavaScript's String(): true, 7, 1.5 (an integral float loses its .0)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).lower()


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def both(left: FilterSets, right: FilterSets) -> FilterSets:
    """Entities matching ``left`` and ``right`` (``()`` is no filter): every pair of alternatives combined."""
    if not left:
        return right
    if not right:
        return left
    return tuple(a + b for a in left for b in right)
