"""The catalog as the web layer and the CLI use it: one method per API operation, errors as exceptions."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any, cast

from callboard.catalog import location_store, query_store, stitch_store, store
from callboard.catalog.children import ChildEntity
from callboard.catalog.engine import CatalogEngine
from callboard.catalog.filters import FilterSets
from callboard.catalog.locations import LocationOperations
from callboard.catalog.page_order import OrderField, PageKey
from callboard.catalog.paging import QueryState, select_fields
from callboard.catalog.processing import ItemProcessor
from callboard.catalog.providers import (
    API_PROVIDER,
    CONFIG_PROVIDER,
    LocationSpec,
    root_entities,
)
from callboard.catalog.query_store import FullText
from callboard.catalog.read_cache import ReadCache
from callboard.catalog.reading import parse_location_ref
from callboard.catalog.results import CatalogPolicy, Page, facets_answer, stored_text
from callboard.catalog.stitching import load_json
from callboard.catalog.views import CatalogViews
from callboard.core.entity import Entity, EntityRef, EntityRefError
from callboard.core.errors import InputError, NotFoundError
from callboard.storage.db import Database, WriteConflict

IMPORT_PROVIDER = "CatalogImport"


class CatalogService(LocationOperations):
    def __init__(
        self, database: Database, processor: ItemProcessor, engine: CatalogEngine, policy: CatalogPolicy
    ) -> None:
        self._db = database
        self._processor = processor
        self.engine = engine
        self.policy = policy
        self.views = CatalogViews(database)
        #: Counts and facet counts, reused while the catalog's generation stays the same.
        self._cache = ReadCache()
        #: A point read is a lookup in a local file (SQLite), not a round trip to a database server.
        self.reads_are_local = database.is_sqlite

    # -- providers ------------------------------------------------------------------------------------------

    def sync_locations(self) -> None:
        """Make the roots match config and the registered locations (at start-up, and after each change).

        Replicas starting together race here; PostgreSQL serialises them with an advisory lock, and a
        unique-key clash (SQLite) is retried once the other process has committed.
        """
        for attempt in range(5):
            try:
                self._sync_locations()
                break
            except WriteConflict:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        self.engine.wake()

    def _sync_locations(self) -> None:
        with self._db.transaction() as connection:
            if not self._db.is_sqlite:
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7008)")
            location_store.replace_static_locations(
                connection, [(location.type, location.target) for location in self.policy.config_locations]
            )
            changed = store.apply_provider_entities(
                connection, CONFIG_PROVIDER, root_entities(self.policy.config_locations, CONFIG_PROVIDER)
            )
            registered = [
                LocationSpec(location["type"], location["target"], location["entityRef"].rpartition("/")[2])
                for location in location_store.api_locations(connection, static=False)
            ]
            changed |= store.apply_provider_entities(connection, API_PROVIDER, root_entities(registered, API_PROVIDER))
            stitch_store.stitch_entities(connection, changed)

    def apply_provider(self, provider_key: str, entities: list[Entity]) -> int:
        """Make ``entities`` the whole set ``provider_key`` provides (a full mutation); how many changed.

        A set holding something that is not an entity is refused whole, with each one named: what the provider
        gave last time stays, and the error reaches the provider's report rather than vanishing.
        """
        problems = [
            f"entity {index + 1}: {problem}"
            for index, entity in enumerate(entities)
            if (problem := self._processor.envelope_problem(entity)) is not None
        ]
        if problems:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            raise InputError(f"Provider {provider_key} gave what are not entities ({shown}); nothing was changed")
        children = [ChildEntity.of(entity, provider_key, EntityRef.of(entity).key) for entity in entities]
        with self._db.transaction() as connection:
            changed = store.apply_provider_entities(connection, provider_key, children)
            stitch_store.stitch_entities(connection, changed)
        self.engine.wake()
        return len(changed)

    def provider_entities(self, provider_key: str) -> list[Entity]:
        """What ``provider_key`` provides now, as it gave it (for delta mutations)."""
        with self._db.connect() as connection:
            return store.provider_entities(connection, provider_key)

    # -- entities -------------------------------------------------------------------------------------------

    def list_entities(
        self,
        filters: FilterSets,
        *,
        fields: Sequence[str] = (),
        order: Sequence[OrderField] = (),
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Entity]:
        texts = self.list_entity_texts(filters, order=order, offset=offset, limit=limit)
        return [select_fields(load_json(text), fields) for text in texts]

    def list_entity_texts(
        self, filters: FilterSets, *, order: Sequence[OrderField] = (), offset: int = 0, limit: int | None = None
    ) -> list[str]:
        """``list_entities`` as the stored JSON texts, for answers that pass them on unchanged."""
        with self._db.connect() as connection:
            return query_store.query_entities(connection, filters, order=order, offset=offset, limit=limit)

    def query_entities(
        self,
        filters: FilterSets,
        *,
        fields: Sequence[str] = (),
        order: Sequence[OrderField] = (),
        full_text: FullText | None = None,
        limit: int = 20,
        offset: int = 0,
        cursor: str | None = None,
        count: bool = True,
        predicate: bool = False,
        raw: bool = False,
        after: PageKey | None = None,
    ) -> Page:
        """A page of entities; ``count=False`` skips ``totalItems`` (reported as 0, as Backstage does)."""
        if cursor:
            state = QueryState.from_cursor(cursor)
        else:
            state = QueryState(filters, tuple(order), full_text, limit, offset, count, predicate, after)
        if state.limit < 0 or state.offset < 0:
            raise InputError("limit and offset must not be negative")
        text = state.full_text
        if text is not None and not text.fields:
            # Without fields, Backstage matches the term against the sort field.
            text = FullText(text.term, (state.order[0].field if state.order else "metadata.uid",))
        with self._db.connect() as connection:
            rows = query_store.query_page(
                connection,
                state.filters,
                order=state.order,
                full_text=text,
                offset=state.offset,
                after=state.after,
                limit=state.limit + 1,
            )
            texts = [item for item, _ in rows]
            total = 0
            if state.count:
                total = self._cache.get(
                    ("count", state.filters, text),
                    query_store.generation(connection),
                    lambda: query_store.count_entities(connection, state.filters, text),
                )
        if raw and not fields:
            page = Page([], total, raw=texts[: state.limit])
        else:
            page = Page([select_fields(load_json(item), fields) for item in texts[: state.limit]], total)
        if len(texts) > state.limit:
            page.next_cursor = state.cursor(
                state.offset + state.limit, rows[state.limit - 1][1] if state.limit else None
            )
        if state.offset > 0:
            page.prev_cursor = state.cursor(max(0, state.offset - state.limit))
        return page

    def entity_by_name(self, kind: str, namespace: str, name: str) -> Entity:
        return cast(Entity, load_json(self.entity_text_by_name(kind, namespace, name)))

    def entity_text_by_name(self, kind: str, namespace: str, name: str) -> str:
        """The entity's JSON as stored (what the API answers, without parsing it and writing it again)."""
        rows = self._db.read(query_store.ENTITY_BY_REF, ref=f"{kind}:{namespace}/{name}".lower())
        return stored_text(rows, kind, namespace, name)

    async def entity_text_by_name_async(self, kind: str, namespace: str, name: str) -> str:
        """``entity_text_by_name`` for the event loop (``Database.read_async``)."""
        ref = f"{kind}:{namespace}/{name}".lower()
        return stored_text(await self._db.read_async(query_store.ENTITY_BY_REF, ref=ref), kind, namespace, name)

    def entity_by_uid(self, uid: str) -> Entity:
        with self._db.connect() as connection:
            text = query_store.entity_by_uid(connection, uid)
        if text is None:
            raise NotFoundError(f"No entity with uid {uid}")
        entity: Entity = load_json(text)
        return entity

    def entities_by_refs(self, refs: Sequence[str], fields: Sequence[str], filters: FilterSets) -> list[Entity | None]:
        keys = []
        for ref in refs:
            try:
                keys.append(EntityRef.parse(ref).key)
            except EntityRefError as error:
                raise InputError(f"Invalid entity ref {ref!r}: {error}") from error
        with self._db.connect() as connection:
            found = query_store.entities_by_refs(connection, keys, filters)
        return [select_fields(load_json(found[key]), fields) if key in found else None for key in keys]

    def delete_by_uid(self, uid: str) -> None:
        """Delete one entity (its location may bring it back); a uid the catalog lacks is no error (Backstage)."""
        with self._db.transaction() as connection:
            ref = query_store.ref_by_uid(connection, uid)
            if ref is None:
                return
            neighbours = store.delete_entities(connection, [ref])
            stitch_store.stitch_entities(connection, neighbours)

    def facets(self, names: Sequence[str], filters: FilterSets) -> dict[str, list[dict[str, Any]]]:
        counted: dict[str, tuple[tuple[str, int], ...]] = {}
        with self._db.connect() as connection:
            generation = query_store.generation(connection)
            for name in names:
                counted[name] = self._cache.get(
                    ("facets", name, filters), generation, partial(_facet_counts, connection, name, filters)
                )
        return facets_answer(counted)

    def cached_facets(self, names: Sequence[str], filters: FilterSets) -> dict[str, list[dict[str, Any]]] | None:
        """``facets`` if every count is known for the catalog as it is now (one point read), else None."""
        rows = self._db.read(query_store.GENERATION)
        generation = int(rows[0][0]) if rows else -1
        counted: dict[str, tuple[tuple[str, int], ...]] = {}
        for name in names:
            known, found = self._cache.peek(("facets", name, filters), generation)
            if not known:
                return None
            counted[name] = found
        return facets_answer(counted)

    def ancestry(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        root = self.entity_by_name(kind, namespace, name)
        root_ref = f"{kind}:{namespace}/{name}".lower()
        items = []
        seen: set[str] = set()
        todo = [root_ref]
        with self._db.connect() as connection:
            while todo:
                ref = todo.pop(0)
                if ref in seen:
                    continue
                seen.add(ref)
                text = query_store.entity_by_ref(connection, ref)
                entity = load_json(text) if text else (root if ref == root_ref else None)
                if entity is None:
                    continue
                parents, _ = query_store.parents_of(connection, ref)
                items.append({"entity": entity, "parentEntityRefs": parents})
                todo.extend(parents)
        return {"rootEntityRef": root_ref, "items": items}

    def refresh(self, entity_ref: str) -> None:
        try:
            key = EntityRef.parse(entity_ref).key
        except EntityRefError as error:
            raise InputError(f"Invalid entity ref {entity_ref!r}: {error}") from error
        with self._db.transaction() as connection:
            # Refreshing an entity re-reads the location it came from: its parents up to the root.
            chain, todo = [key], [key]
            while todo:
                parents, _ = query_store.parents_of(connection, todo.pop())
                for parent in parents:
                    if parent not in chain:
                        chain.append(parent)
                        todo.append(parent)
            if not store.schedule_now(connection, chain):
                raise NotFoundError(f"Entity {entity_ref} not found")
        self.engine.wake()

    def validate_entity(self, entity: Any, location: str) -> list[dict[str, str]]:
        if not isinstance(entity, dict):
            raise InputError("Malformed request: entity must be an object")
        try:
            parse_location_ref(location)
        except ValueError as error:
            raise InputError(str(error)) from error
        annotated = copy.deepcopy(entity)
        metadata = annotated.get("metadata")
        if isinstance(metadata, dict):
            annotations = metadata.setdefault("annotations", {})
            if isinstance(annotations, dict):
                annotations.setdefault("backstage.io/managed-by-location", location)
                annotations.setdefault("backstage.io/managed-by-origin-location", location)
        # Validating a Location checks the entity, as Backstage does; its targets are not read.
        outcome = self._processor.process("", annotated, {}, read_targets=False)
        return [{"name": error.name, "message": error.message} for error in outcome.errors]

    # -- export and import ----------------------------------------------------------------------------------

    def export_entities(self) -> Iterator[str]:
        """Every final entity as canonical JSON, ordered by entity ref (one per line in an export file)."""
        with self._db.connect() as connection:
            yield from query_store.final_texts_by_ref(connection)

    def import_entities(self, lines: Iterable[str], *, source: str) -> int:
        """Load exported entities (JSON lines) into the catalog, keeping their uids; return how many.

        Imported entities are kept alive by the import itself: their Location targets are not read again.
        Importing again replaces the previous import.
        """
        children = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                final = load_json(line)
                metadata = final["metadata"]
                entity_id = str(metadata["uid"])
                ref = EntityRef.of(final).key
            except (ValueError, KeyError, TypeError) as error:
                raise InputError(f"{source}:{number}: not an exported entity ({error})") from error
            entity = {key: value for key, value in final.items() if key not in ("relations", "status")}
            entity["metadata"] = {k: v for k, v in metadata.items() if k not in ("uid", "etag")}
            annotations = entity["metadata"].get("annotations")
            if isinstance(annotations, dict) and annotations.get("backstage.io/orphan") == "true":
                entity["metadata"]["annotations"] = {k: v for k, v in annotations.items() if k != "backstage.io/orphan"}
            children.append(ChildEntity.of(entity, IMPORT_PROVIDER, ref, entity_id=entity_id, imported=True))
        with self._db.transaction() as connection:
            changed = store.apply_provider_entities(connection, IMPORT_PROVIDER, children)
            stitch_store.stitch_entities(connection, changed)
        self.engine.wake()
        return len(children)

    def status(self) -> dict[str, Any]:
        with self._db.connect() as connection:
            pending = query_store.pending_count(connection)
            stitching = stitch_store.queued_count(connection)
        return {
            "pending": pending,
            "stitching": stitching,
            "processed": self.engine.processed_total,
            "lastError": self.engine.last_error,
        }


def _facet_counts(connection: Any, name: str, filters: FilterSets) -> tuple[tuple[str, int], ...]:
    return tuple(query_store.facets(connection, name, filters))
