"""Query parameters every list route reads the same way, within ``backend.limits.query``.

A value out of range is a 400 naming the parameter, its allowed range and the setting that widens it, the
same on every route (the catalog and the scaffolder used to disagree about ``limit=-1``).
"""

from __future__ import annotations

from collections.abc import Sequence

from callboard.catalog.api import WHITESPACE, FilterSets, parse_filters
from callboard.core.errors import InputError
from callboard.core.limits import RequestLimits

MAX_ORDER_FIELDS = 10
_WS = "".join(f"\\u{ord(character):04x}" for character in WHITESPACE)
_PART = f"(?:[{_WS}]*|[{_WS}]*[^,={_WS}][^,=]*(?:=[^,]*)?)"


def filter_pattern(max_conditions: int) -> str:
    """One ``filter`` parameter as the parser accepts it: up to ``max_conditions`` comma-separated parts, each
    empty (ignored), ``key`` or ``key=value``."""
    return f"^{_PART}(?:,{_PART}){{0,{max_conditions - 1}}}$"


def in_range(value: int | None, name: str, *, maximum: int, setting: str | None = None) -> int | None:
    """``value`` when it is within ``0..maximum`` (or absent); otherwise a 400 naming it and the setting."""
    if value is None or 0 <= value <= maximum:
        return value
    widen = f" ({setting} raises the maximum)" if setting else ""
    shown = str(value) if len(str(value)) <= 40 else str(value)[:40] + "..."
    raise InputError(f"Invalid {name} {shown}; give a whole number from 0 to {maximum}{widen}")


def offset_param(value: int | None, limits: RequestLimits) -> int:
    return in_range(value, "offset", maximum=limits.max_offset) or 0


def limit_param(value: int | None, limits: RequestLimits) -> int | None:
    return in_range(value, "limit", maximum=limits.max_limit, setting="backend.limits.query.maxLimit")


def filter_params(raw: Sequence[str], limits: RequestLimits) -> FilterSets:
    """Backstage's ``filter`` parameters, refused when there are more of them, or more conditions in one, or
    more characters in one, than the limits allow: each condition becomes a clause of the query, and a few
    thousand of them would keep a database busy for seconds."""
    if len(raw) > limits.max_filters:
        raise InputError(
            f"Too many filter parameters ({len(raw)}); the limit is {limits.max_filters} "
            "(backend.limits.query.maxFilters)"
        )
    for text in raw:
        if len(text) > limits.max_filter_length:
            raise InputError(
                f"Invalid filter {text[:40]!r}...: it is {len(text)} characters long; the limit is "
                f"{limits.max_filter_length} (backend.limits.query.maxFilterLength)"
            )
        parts = text.count(",") + 1
        if parts > limits.max_conditions:
            raise InputError(
                f"Invalid filter {text[:40]!r}...: it has {parts} conditions; the limit is {limits.max_conditions} "
                "(backend.limits.query.maxConditions); use POST /entities/by-refs to look up many entities"
            )
    return parse_filters(raw)


def bounded_list(raw: Sequence[str], name: str, maximum: int) -> Sequence[str]:
    if len(raw) > maximum:
        raise InputError(f"Too many {name} parameters ({len(raw)}); give at most {maximum}")
    return raw
