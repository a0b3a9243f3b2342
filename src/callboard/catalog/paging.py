"""Pieces of the catalog API's paging: opaque cursors, and ``fields=`` selection of entity sub-trees."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from callboard.catalog.filters import FilterSets, decode_filters, encode_filters
from callboard.catalog.page_order import OrderField, PageKey
from callboard.catalog.query_store import FullText
from callboard.catalog.stitching import load_json
from callboard.core.entity import Entity
from callboard.core.errors import InputError

__all__ = ["QueryState", "decode_cursor", "encode_cursor", "select_fields"]

#: The largest offset or page size a cursor may carry (what the API accepts as parameters is narrower).
_MAX_NUMBER = 2**31 - 1


def select_fields(entity: Entity, fields: Sequence[str]) -> Entity:
    """Keep only the dotted sub-trees named in ``fields`` (Backstage's ``fields=`` parameter)."""
    if not fields:
        return entity
    result: Entity = {}
    for path in fields:
        parts = [part for part in path.split(".") if part]
        source: Any = entity
        for part in parts:
            if not isinstance(source, dict) or part not in source:
                source = _MISSING
                break
            source = source[part]
        if source is _MISSING or not parts:
            continue
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = source
    return result


_MISSING = object()


def encode_cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = load_json(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InputError(f"Malformed cursor: {cursor[:40]}") from error
    if not isinstance(data, dict):
        raise InputError("Malformed cursor")
    return data


@dataclass(frozen=True)
class QueryState:
    """Everything ``by-query`` needs to fetch a page again: what its cursors encode."""

    filters: FilterSets
    order: tuple[OrderField, ...]
    full_text: FullText | None
    limit: int
    offset: int
    count: bool
    #: Made by a predicate query (``POST``): Backstage's client sends the next page there when a cursor
    #: holds a ``query`` key, so such cursors have one.
    predicate: bool = False
    #: Where the page before ended (a next-page cursor's): the page starts after it instead of counting
    #: ``offset`` entities in. ``offset`` is still carried, for the previous page.
    after: PageKey | None = None

    def cursor(self, offset: int, after: PageKey | None = None) -> str:
        return encode_cursor(
            {
                **({"query": True} if self.predicate else {}),
                **({"k": after} if after is not None else {}),
                "f": encode_filters(self.filters),
                "o": [[item.field, item.descending] for item in self.order],
                "t": [self.full_text.term, list(self.full_text.fields)] if self.full_text else None,
                "l": self.limit,
                "x": not self.count,
                "s": offset,
            }
        )

    @classmethod
    def from_cursor(cls, cursor: str) -> QueryState:
        """The state a cursor carries; InputError for anything this catalog would not have written."""
        state = decode_cursor(cursor)
        malformed = InputError("Malformed cursor: start again from the first page")
        order = state.get("o", [])
        text = state.get("t")
        limit, offset = state.get("l", 20), state.get("s", 0)
        if not isinstance(order, list) or not all(
            isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], bool)
            for item in order
        ):
            raise malformed
        if text is not None and not (
            isinstance(text, list)
            and len(text) == 2
            and isinstance(text[0], str)
            and isinstance(text[1], list)
            and all(isinstance(field, str) for field in text[1])
        ):
            raise malformed
        for number in (limit, offset):
            if type(number) is not int or not 0 <= number <= _MAX_NUMBER:
                raise malformed
        after = state.get("k")
        if after is not None and not (
            isinstance(after, list)
            and len(after) == len(order) + 1
            and all(value is None or isinstance(value, str) for value in after)
            and isinstance(after[-1], str)
        ):
            raise malformed
        return cls(
            decode_filters(state.get("f", [])),
            tuple(OrderField(field, descending) for field, descending in order),
            FullText(text[0], tuple(text[1])) if text else None,
            limit,
            offset,
            not state.get("x"),
            state.get("query") is True,
            after,
        )


def page_cursor(cursor: str) -> tuple[int, int]:
    """The ``(offset, limit)`` an ``/entities`` ``after`` cursor carries."""
    state = decode_cursor(cursor)
    offset, limit = state.get("offset", 0), state.get("limit", 0)
    for number in (offset, limit):
        if type(number) is not int or not 0 <= number <= _MAX_NUMBER:
            raise InputError("Malformed cursor: start again from the first page")
    return offset, limit
