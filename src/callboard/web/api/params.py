"""Query parameters every list route reads the same way, within ``backend.limits.query``.

A value out of range is a 400 naming the parameter, its allowed range and the setting that widens it, the
same on every route (the catalog and the scaffolder used to disagree about ``limit=-1``).
"""

from __future__ import annotations

from collections.abc import Sequence

from callboard.catalog.filters import FilterSets, parse_filters
from callboard.core.errors import InputError
from callboard.core.limits import RequestLimits

MAX_ORDER_FIELDS = 10


def whole_number(value: str | None, name: str, *, maximum: int, setting: str | None = None) -> int | None:
    """``value`` as an integer in ``0..maximum``; None when absent or empty."""
    if value is None or value == "":
        return None
    text = value.strip()
    widen = f" ({setting} raises the maximum)" if setting else ""
    if not text.isdigit() or len(text) > 19 or int(text) > maximum:
        raise InputError(f"Invalid {name} {value[:40]!r}; give a whole number from 0 to {maximum}{widen}")
    return int(text)


def offset_param(value: str | None, limits: RequestLimits) -> int:
    return whole_number(value, "offset", maximum=limits.max_offset) or 0


def limit_param(value: str | None, limits: RequestLimits) -> int | None:
    return whole_number(value, "limit", maximum=limits.max_limit, setting="backend.limits.query.maxLimit")


def filter_params(raw: Sequence[str], limits: RequestLimits) -> FilterSets:
    """Backstage's ``filter`` parameters, refused when there are more conditions than the limit or one is
    longer than allowed (each condition becomes a clause of the query)."""
    for text in raw:
        if len(text) > limits.max_filter_length:
            raise InputError(
                f"Invalid filter {text[:40]!r}...: it is {len(text)} characters long; the limit is "
                f"{limits.max_filter_length} (backend.limits.query.maxFilterLength)"
            )
    if len(raw) > limits.max_filters:
        raise InputError(
            f"Too many filter parameters ({len(raw)}); the limit is {limits.max_filters} "
            "(backend.limits.query.maxFilters)"
        )
    parsed = parse_filters(raw)
    conditions = sum(len(conjunction) for conjunction in parsed)
    if conditions > limits.max_filters:
        raise InputError(
            f"Too many filter conditions ({conditions}); the limit is {limits.max_filters} "
            "(backend.limits.query.maxFilters)"
        )
    return parsed


def bounded_list(raw: Sequence[str], name: str, maximum: int) -> Sequence[str]:
    if len(raw) > maximum:
        raise InputError(f"Too many {name} parameters ({len(raw)}); give at most {maximum}")
    return raw
