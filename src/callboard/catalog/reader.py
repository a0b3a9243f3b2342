"""The catalog as cards, tabs, collators and sign-in read it (``CatalogReader``), over the secured catalog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from callboard.catalog.browse_index import FACET_KEYS
from callboard.catalog.filters import Condition, FilterSets
from callboard.catalog.page_order import OrderField
from callboard.catalog.secured import SecuredCatalog
from callboard.core.errors import InputError


def filter_sets(filters: Mapping[str, str | Sequence[str]]) -> FilterSets:
    conditions = []
    for key, value in filters.items():
        values = (value,) if isinstance(value, str) else tuple(value)
        conditions.append(Condition(key.lower(), tuple(item.lower() for item in values)))
    return (tuple(conditions),)


def _indexed(filters: Mapping[str, object]) -> bool:
    """Whether the in-memory browse index can answer (it knows the keys the catalog page filters on)."""
    return all(key.lower() in FACET_KEYS for key in filters)


def _chosen(filters: Mapping[str, str | Sequence[str]]) -> dict[str, list[str]]:
    return {key.lower(): [value] if isinstance(value, str) else list(value) for key, value in filters.items()}


class ServiceCatalogReader:
    """Entities as the catalog's caller may see them: without relations to entities they may not read, so
    no card, tab or graph can name them (for the portal itself, ``SYSTEM``, nothing is hidden)."""

    def __init__(self, catalog: SecuredCatalog) -> None:
        self._catalog = catalog

    def _shown(self, entities: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return list(self._catalog.without_hidden_relations([dict(entity) for entity in entities]))

    def entity(self, ref: str) -> Mapping[str, Any] | None:
        found = self.entities([ref])
        return next(iter(found.values()), None)

    def entities(self, refs: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        unique = list(dict.fromkeys(ref.lower() for ref in refs))
        try:
            found = self._catalog.entities_by_refs(unique, (), ())
        except InputError:
            return {}
        present = [(ref, entity) for ref, entity in zip(unique, found, strict=True) if entity is not None]
        shown = self._shown([entity for _, entity in present])
        return {ref: entity for (ref, _), entity in zip(present, shown, strict=True)}

    def find(self, filters: Mapping[str, str | Sequence[str]], *, limit: int = 100) -> list[Mapping[str, Any]]:
        if _indexed(filters):
            found = self._catalog.browse(_chosen(filters), limit=limit).items
            ordered = sorted(found, key=lambda entity: (str(entity.get("kind")), str(entity["metadata"]["name"])))
            return self._shown(list(ordered))
        order = [OrderField("kind"), OrderField("metadata.name")]
        return self._shown(list(self._catalog.list_entities(filter_sets(filters), order=order, limit=limit)))

    def count(self, filters: Mapping[str, str | Sequence[str]]) -> int:
        if _indexed(filters):
            return self._catalog.browse(_chosen(filters), limit=0).total
        return self._catalog.count(filter_sets(filters))

    def counts(self, key: str, filters: Mapping[str, str | Sequence[str]]) -> list[tuple[str, int]]:
        if _indexed(filters) and key.lower() in FACET_KEYS:
            return self._catalog.browse(_chosen(filters), limit=0, facets=[key.lower()]).facets[key.lower()]
        facet = self._catalog.facets([key], filter_sets(filters))[key]
        return [(str(item["value"]), int(item["count"])) for item in facet]

    def parents(self, ref: str) -> list[str]:
        return self._catalog.parents(ref)
