"""Backstage's entity filter syntax, parsed (``query_store`` translates it to SQL over the filter index).

``filter=kind=component,spec.lifecycle=production&filter=kind=api``: each ``filter`` parameter is a set of
conditions that must all hold (comma = AND); the sets are alternatives (repeated parameter = OR). A
condition is ``key`` (the key exists) or ``key=value``; the same key twice in one set means any of the
values. Keys and values compare case-insensitively. Backstage's predicate queries (``predicates.py``) become
the same form, with two more kinds of condition: negated ones and value prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from callboard.core.errors import InputError

#: What JavaScript's trim() removes (Backstage trims keys and values with it); the API's documented pattern for
#: a filter uses the same set, so the document and the parser agree on every character.
WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    values: tuple[str, ...] | None  # None: the key exists
    #: The entity must not satisfy the condition (``$not``, ``$exists: false``).
    negated: bool = False
    #: ``values`` are prefixes of the value rather than whole values (``$hasPrefix``).
    prefix: bool = False

    @property
    def plain(self) -> bool:
        """An equality or existence test, which the index's fast paths answer directly."""
        return not (self.negated or self.prefix)


FilterSets = tuple[tuple[Condition, ...], ...]


def parse_filters(raw: Sequence[str]) -> FilterSets:
    """Parse repeated ``filter`` parameters; an empty list means "no filter"."""
    sets = []
    for text in raw:
        conditions: dict[str, list[str] | None] = {}
        for part in text.split(","):
            key, has_value, value = part.partition("=")
            key = key.strip(WHITESPACE).lower()
            if not key:
                if part.strip(WHITESPACE):
                    raise InputError(f"Invalid filter {text!r}: '{part}' has no key; write key=value or key")
                continue
            if not has_value:
                conditions.setdefault(key, None)
                continue
            existing = conditions.get(key)
            values = existing if existing is not None else []
            values.append(value.strip(WHITESPACE).lower())
            conditions[key] = values
        if conditions:
            sets.append(tuple(Condition(k, tuple(v) if v is not None else None) for k, v in conditions.items()))
    return tuple(sets)


_FLAGS = {(False, False): "", (True, False): "not", (False, True): "prefix", (True, True): "not-prefix"}
_FLAGGED = {flag: pair for pair, flag in _FLAGS.items()}


def encode_filters(sets: FilterSets) -> list[list[list[object]]]:
    def encoded(c: Condition) -> list[object]:
        item: list[object] = [c.key, list(c.values) if c.values is not None else None]
        return item if c.plain else [*item, _FLAGS[(c.negated, c.prefix)]]

    return [[encoded(c) for c in conditions] for conditions in sets]


#: Conditions a cursor may carry: each is a clause of the query, and SQLite refuses expressions nested
#: deeper than 1,000 (``OR`` of many alternatives nests one level per alternative).
MAX_CURSOR_CONDITIONS = 500


def decode_filters(data: object) -> FilterSets:
    """Filters carried in a cursor, checked as strictly as any other input (a cursor can be forged)."""
    malformed = InputError("Malformed cursor: its filters are not in the form this catalog writes")
    if not isinstance(data, list):
        raise malformed
    sets = []
    total = 0
    for conditions in data:
        if not isinstance(conditions, list):
            raise malformed
        parsed = []
        for condition in conditions:
            if not (isinstance(condition, list) and len(condition) in (2, 3) and isinstance(condition[0], str)):
                raise malformed
            key, values, flag = (*condition, "")[:3]
            if values is not None and not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
                raise malformed
            if flag not in _FLAGGED:
                raise malformed
            negated, prefix = _FLAGGED[flag]
            parsed.append(Condition(key, tuple(values) if values is not None else None, negated, prefix))
        total += len(parsed)
        sets.append(tuple(parsed))
    if total > MAX_CURSOR_CONDITIONS:
        raise malformed
    return tuple(sets)
