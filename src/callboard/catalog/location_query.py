"""``POST /locations/by-query``: registered locations filtered by a predicate, in pages, as Backstage answers.

The request is ``{query?, limit?, cursor?}``. A query is a filter predicate (``$all``, ``$any``, ``$not``;
field values as in entity queries) over four fields: ``id``, ``type``, ``target`` and ``entityRef``, compared
case-insensitively. Pages are ordered by id; a cursor carries the limit, the query and the last id, as
Backstage's does (base64 of JSON), so a client's next-page call sends only the cursor.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from callboard.catalog.filters import Condition, FilterSets
from callboard.catalog.predicates import MAX_DEPTH, NOTHING, parse_predicate
from callboard.core.errors import InputError

#: The fields a location query may name (lower-case) and the location's key for each.
FIELDS = {"id": "id", "type": "type", "target": "target", "entityref": "entityRef"}
DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class LocationQuery:
    limit: int
    query: Any = None  # the predicate as sent (kept for the cursor)
    after_id: str | None = None
    sets: FilterSets = ()  # what the predicate means (no filter without one)

    def page(self, locations: Iterable[Mapping[str, str]]) -> dict[str, Any]:
        """The answer: this page of the matching locations, how many match in all, and the next page's cursor."""
        chosen = [location for location in locations if self.sets != NOTHING and _matches(self.sets, location)]
        matching = sorted(chosen, key=lambda row: row["id"])
        after = [row for row in matching if self.after_id is None or row["id"] > self.after_id]
        items = after[: self.limit]
        page_info: dict[str, str] = {}  # Backstage leaves nextCursor out on the last page
        if len(after) > self.limit:
            state = {"limit": self.limit, "afterId": items[-1]["id"], "query": self.query}
            page_info["nextCursor"] = base64.b64encode(json.dumps(state).encode()).decode()
        return {"items": items, "totalItems": len(matching), "pageInfo": page_info}


def parse_location_query(body: Mapping[str, Any]) -> LocationQuery:
    """The request's query, limit and position; a 400 naming what is wrong."""
    if body.get("cursor") is not None:
        return _from_cursor(body["cursor"])
    limit = body.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InputError("Limit must be a positive integer >= 1")
    query = body.get("query")
    return LocationQuery(limit, query, sets=_checked(query))


def _from_cursor(cursor: Any) -> LocationQuery:
    if not isinstance(cursor, str) or not cursor:
        raise InputError("Cursor cannot be empty")
    try:
        state = json.loads(base64.b64decode(cursor, validate=True))
    except (binascii.Error, ValueError) as error:
        raise InputError("Malformed cursor, unknown encoding") from error
    limit, after = (state.get("limit"), state.get("afterId")) if isinstance(state, dict) else (None, None)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1 or not isinstance(after, str | None):
        raise InputError("Malformed cursor: expected a positive limit and an afterId")
    query = state.get("query")
    return LocationQuery(limit, query, after, _checked(query))


def _checked(query: Any) -> FilterSets:
    """What the predicate means; a 400 for one that is malformed or names a field locations do not have."""
    if query is None:
        return ()
    if not isinstance(query, dict):
        raise InputError("Query must be an object")
    sets = parse_predicate(query)
    for key in _fields(query, 0):
        if key.lower() not in FIELDS:
            raise InputError(
                f"Invalid filter predicate, expected key to be 'id', 'type', 'target', or 'entityRef', got '{key}'"
            )
    return sets


def _fields(predicate: Any, depth: int) -> Iterable[str]:
    """Every field name in a predicate (its shape already checked, so nesting is bounded)."""
    if depth > MAX_DEPTH or not isinstance(predicate, dict):
        return
    for key, value in predicate.items():
        if key in ("$all", "$any"):
            for item in value:
                yield from _fields(item, depth + 1)
        elif key == "$not":
            yield from _fields(value, depth + 1)
        else:
            yield key


def _matches(sets: FilterSets, location: Mapping[str, str]) -> bool:
    return not sets or any(all(_holds(condition, location) for condition in alternative) for alternative in sets)


def _holds(condition: Condition, location: Mapping[str, str]) -> bool:
    value = location.get(FIELDS.get(condition.key, ""))
    if condition.values is None:
        found = value is not None
    elif value is None:
        found = False
    elif condition.prefix:
        found = any(value.lower().startswith(prefix) for prefix in condition.values)
    else:
        found = value.lower() in condition.values
    return found != condition.negated
