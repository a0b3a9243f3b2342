"""The order of entity lists: each order field's value of an entity, the ORDER BY, and where a page ended
(``PageKey``), from which the next page starts without counting the entities before it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, asc, desc, func, nulls_last, or_, select

from callboard.storage.tables import final_entities, search


@dataclass(frozen=True, slots=True)
class OrderField:
    field: str
    descending: bool = False


def order_values(order: Sequence[OrderField]) -> list[Any]:
    """Each order field's value of the final entity (its smallest, for a field with several values)."""
    return [
        select(func.min(search.c.value))
        .where(search.c.entity_id == final_entities.c.entity_id, search.c.key == item.field.lower())
        .scalar_subquery()
        for item in order
    ]


def order_columns(order: Sequence[OrderField], values: Sequence[Any]) -> list[Any]:
    return [
        nulls_last(desc(value) if item.descending else asc(value)) for item, value in zip(order, values, strict=True)
    ]


#: Where a page ended: each order field's value in the last entity shown, then its entity id.
PageKey = list[Any]


def after_key(
    order: Sequence[OrderField], values: Sequence[Any], key: PageKey, entity_id: Any = None
) -> ColumnElement[bool]:
    """Entities that come after ``key`` in the order (each field ascending or descending, missing values last,
    ties broken by entity id): what the next page starts from, found through the order instead of counted.
    ``entity_id`` is the id column the values belong to (the final entity's by default)."""
    *last_values, last_id = key
    after: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for item, value, last in zip(order, values, last_values, strict=True):
        if last is None:
            # Missing values come last: nothing is past one but another missing value, by id.
            equal.append(value.is_(None))
            continue
        beyond = value < last if item.descending else value > last
        after.append(and_(*equal, or_(beyond, value.is_(None))))
        equal.append(value == last)
    after.append(and_(*equal, (final_entities.c.entity_id if entity_id is None else entity_id) > last_id))
    return or_(*after)
