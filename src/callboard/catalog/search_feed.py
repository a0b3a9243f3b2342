"""The catalog as search's indexer reads it: entities changed since a watermark, and which refs exist."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from callboard.catalog import query_store
from callboard.catalog.stitching import load_json
from callboard.storage.db import Database


class CatalogSearchFeed:
    def __init__(self, database: Database) -> None:
        self._db = database

    def changed_since(self, since: float, after_ref: str, limit: int) -> list[tuple[str, Mapping[str, Any], float]]:
        with self._db.connect() as connection:
            rows = query_store.changed_since(connection, since, after_ref, limit)
        return [(ref, load_json(text), updated) for ref, text, updated in rows]

    def refs(self) -> set[str]:
        with self._db.connect() as connection:
            return query_store.all_refs(connection)

    def count(self) -> int:
        with self._db.connect() as connection:
            return query_store.catalog_version(connection)[0]

    def entities(self, refs: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        with self._db.connect() as connection:
            texts = query_store.texts_by_refs(connection, [ref.lower() for ref in refs])
        return {ref: load_json(text) for ref, text in texts.items()}
