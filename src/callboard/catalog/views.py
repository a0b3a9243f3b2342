"""Read models of the portal's pages (the catalog table, quick jump, problems) and the search indexer's
feed of changes; nothing here writes, and nothing here checks who asks (``secured.py`` does).

The catalog table reads the in-memory browse index (``browse_index.py``); the rest are small SQL reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from callboard.catalog import query_store
from callboard.catalog.browse_index import FACET_KEYS, SORT_KEYS, TEXT_KEYS, BrowseIndex, Snapshot
from callboard.catalog.filters import Condition, FilterSets
from callboard.catalog.stitching import load_json
from callboard.core.entity import Entity
from callboard.core.permissions import Criteria
from callboard.storage.db import Database


@dataclass
class Browse:
    items: list[Entity]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    kinds: list[tuple[str, int]]


class CatalogViews:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._browse = BrowseIndex(self._build_browse, self._version)

    def _build_browse(self) -> Snapshot:
        with self._db.connect() as connection:
            ids = query_store.entity_ids(connection)
            return Snapshot(ids, query_store.browse_rows(connection, (*FACET_KEYS, *SORT_KEYS, *TEXT_KEYS)))

    def _version(self) -> tuple[object, ...]:
        with self._db.connect() as connection:
            return (query_store.generation(connection),)

    def browse(
        self,
        chosen: Mapping[str, Sequence[str]],
        *,
        text: str = "",
        sort: str = "metadata.name",
        descending: bool = False,
        offset: int = 0,
        limit: int = 25,
        facets: Sequence[str] = (),
        facet_limit: int = 50,
        restrict: Criteria | None = None,
    ) -> Browse:
        """A page of the catalog table with its total and facet counts, from the in-memory browse index.

        ``chosen`` maps filter keys (those in ``FACET_KEYS``) to accepted values. Each facet is counted under
        every filter but its own, so the values that would change the result stay visible with their counts.
        """
        snapshot = self._browse.snapshot()
        allowed = snapshot.everything if restrict is None else snapshot.criteria_mask(restrict, self._ids_where)
        matching = snapshot.matching(chosen, text) & allowed
        ids = snapshot.page(matching, sort if sort in SORT_KEYS else "metadata.name", descending, offset, limit)
        counted = {
            key: snapshot.facet(key, snapshot.matching(chosen, text, skip=key) & allowed, facet_limit)
            for key in facets
            if key in FACET_KEYS
        }
        with self._db.connect() as connection:
            texts = query_store.texts_by_ids(connection, ids)
        # An entity deleted since the index was built is skipped rather than shown as an error.
        items = [load_json(texts[entity_id]) for entity_id in ids if entity_id in texts]
        return Browse(items, matching.bit_count(), counted, snapshot.facet("kind", allowed, 100))

    def _ids_where(self, key: str, values: tuple[str, ...] | None) -> list[str]:
        with self._db.connect() as connection:
            return query_store.ids_where(connection, key, values)

    def warm_browse_index(self) -> None:
        """Start building the browse index in the background (servers call this when they start)."""
        self._browse.warm()

    def catch_up_browse_index(self) -> None:
        """After a change made from the pages: the next catalog page shows it (see ``BrowseIndex.catch_up``)."""
        self._browse.catch_up()

    def refresh_browse_index(self) -> None:
        """Rebuild the browse index now instead of within a second or so of the next page view."""
        self._browse.refresh()

    def count(self, filters: FilterSets) -> int:
        with self._db.connect() as connection:
            return query_store.count_entities(connection, filters)

    def parents(self, ref: str) -> list[str]:
        with self._db.connect() as connection:
            return query_store.parents_of(connection, ref.lower())[0]

    def quick_find(self, term: str, limit: int = 8, restrict: Criteria | None = None) -> list[Entity]:
        """Entities whose name or title starts with (then contains) ``term``: the header's quick jump."""
        snapshot = self._browse.snapshot()
        allowed = None if restrict is None else snapshot.criteria_mask(restrict, self._ids_where)
        ids = snapshot.find_text(term.strip(), limit, allowed)
        with self._db.connect() as connection:
            texts = query_store.texts_by_ids(connection, ids)
        return [load_json(texts[entity_id]) for entity_id in ids if entity_id in texts]

    def problems(self, limit: int = 500) -> dict[str, Any]:
        """Entities that failed processing (with their errors and source) and orphaned entities."""
        orphan: FilterSets = ((Condition("metadata.annotations.backstage.io/orphan", ("true",)),),)
        with self._db.connect() as connection:
            failing = query_store.failing_items(connection, limit)
            orphans = [load_json(text) for text in query_store.query_entities(connection, orphan, limit=limit)]
        return {"failing": failing, "orphans": orphans}

    def changed_since(self, since: float, after_ref: str, limit: int) -> list[tuple[str, Mapping[str, Any], float]]:
        with self._db.connect() as connection:
            rows = query_store.changed_since(connection, since, after_ref, limit)
        return [(ref, load_json(text), updated) for ref, text, updated in rows]

    def existing_refs(self, refs: Sequence[str]) -> set[str]:
        with self._db.connect() as connection:
            return query_store.existing_refs(connection, refs)

    def total(self) -> int:
        with self._db.connect() as connection:
            return query_store.entity_count(connection)
