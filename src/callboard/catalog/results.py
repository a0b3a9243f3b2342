"""What the catalog service is configured with and answers: its policy, registration previews, query pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from callboard.catalog.providers import LocationSpec
from callboard.core.entity import Entity
from callboard.core.errors import NotFoundError


@dataclass
class CatalogPolicy:
    allowed_location_types: tuple[str, ...] = ("url",)
    readonly: bool = False
    config_locations: list[LocationSpec] = field(default_factory=list)
    #: What the Register page offers to try (``catalog.import.exampleUrls``).
    example_urls: tuple[str, ...] = ()


@dataclass
class Preview:
    """An entity a location would add, with the problems processing it found (empty when it is valid)."""

    entity: Entity
    problems: list[dict[str, str]]


@dataclass
class Page:
    items: list[Entity]
    total: int | None = None
    next_cursor: str | None = None
    prev_cursor: str | None = None
    #: With ``raw=True`` and no ``fields``: the entities as their stored JSON texts, and ``items`` empty.
    raw: list[str] | None = None


def facets_answer(counted: Mapping[str, tuple[tuple[str, int], ...]]) -> dict[str, list[dict[str, Any]]]:
    """Facet counts as the API answers them: per facet, ``{value, count}`` in the order counted."""
    return {name: [{"value": value, "count": count} for value, count in found] for name, found in counted.items()}


def no_entity_named(kind: str, namespace: str, name: str) -> NotFoundError:
    """Backstage's 404 for a name it does not hold (or that the caller may not read)."""
    return NotFoundError(f"No entity named '{name}' found, with kind '{kind}' in namespace '{namespace}'")


def stored_text(rows: Sequence[tuple[Any, ...]], kind: str, namespace: str, name: str) -> str:
    """The stored JSON text a by-name read found, or the 404 Backstage answers."""
    if not rows or rows[0][0] is None:
        raise no_entity_named(kind, namespace, name)
    text: str = rows[0][0]
    return text
