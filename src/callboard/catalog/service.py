"""The catalog as the web layer and the CLI use it: one method per API operation, errors as exceptions."""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any, cast

from callboard.catalog import query_store, stitch_store, store
from callboard.catalog.children import ChildEntity
from callboard.catalog.engine import CatalogEngine
from callboard.catalog.filters import Condition, FilterSets
from callboard.catalog.paging import QueryState, select_fields
from callboard.catalog.processing import ItemProcessor
from callboard.catalog.providers import (
    API_PROVIDER,
    CONFIG_PROVIDER,
    LocationSpec,
    generated_location_entity,
    root_entities,
)
from callboard.catalog.query_store import FullText, OrderField
from callboard.catalog.read_cache import ReadCache
from callboard.catalog.reading import check_location_target, parse_location_ref
from callboard.catalog.results import CatalogPolicy, Page, Preview, facets_answer, stored_text
from callboard.catalog.stitching import load_json
from callboard.catalog.views import CatalogViews
from callboard.core.entity import Entity, EntityRef, EntityRefError
from callboard.core.errors import ConflictError, InputError, NotAllowedError, NotFoundError, error_named
from callboard.storage.db import Database, WriteConflict

IMPORT_PROVIDER = "CatalogImport"


class CatalogService:
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
            query_store.replace_static_locations(
                connection, [(location.type, location.target) for location in self.policy.config_locations]
            )
            changed = store.apply_provider_entities(
                connection, CONFIG_PROVIDER, root_entities(self.policy.config_locations, CONFIG_PROVIDER)
            )
            registered = [LocationSpec(t, target) for t, target in query_store.api_locations(connection, static=False)]
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
    ) -> Page:
        """A page of entities; ``count=False`` skips ``totalItems`` (reported as 0, as Backstage does)."""
        if cursor:
            state = QueryState.from_cursor(cursor)
        else:
            state = QueryState(filters, tuple(order), full_text, limit, offset, count, predicate)
        if state.limit < 0 or state.offset < 0:
            raise InputError("limit and offset must not be negative")
        text = state.full_text
        if text is not None and not text.fields:
            # Without fields, Backstage matches the term against the sort field.
            text = FullText(text.term, (state.order[0].field if state.order else "metadata.uid",))
        with self._db.connect() as connection:
            texts = query_store.query_entities(
                connection,
                state.filters,
                order=state.order,
                full_text=text,
                offset=state.offset,
                limit=state.limit + 1,
                default_order_by_uid=True,
            )
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
            page.next_cursor = state.cursor(state.offset + state.limit)
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

    # -- locations ------------------------------------------------------------------------------------------

    def _check_location_type(self, location_type: str) -> None:
        if location_type not in self.policy.allowed_location_types:
            allowed = ", ".join(self.policy.allowed_location_types)
            raise InputError(
                f"Registered locations must be of an allowed type [{allowed}]; {location_type!r} is not. "
                "Operators can allow more types with catalog.allowedLocationTypes"
            )

    def preview_registration(self, location_type: str, target: str) -> tuple[bool, list[Preview]]:
        """Whether the location is registered already, and the entities it holds with their problems."""
        self._check_location_type(location_type)
        with self._db.connect() as connection:
            existing = query_store.location_by_spec(connection, location_type, target)
        return existing is not None, self.preview_location(location_type, target)[1:]

    def add_location(self, location_type: str, target: str, *, dry_run: bool, any_type: bool = False) -> dict[str, Any]:
        """Register a location. ``any_type`` is for Callboard's own trusted callers (a template publishing into
        the server's data folder), never for targets a person typed."""
        if self.policy.readonly and not dry_run:
            raise NotAllowedError("This catalog is in read-only mode (catalog.readonly); locations cannot be added")
        if not any_type:
            self._check_location_type(location_type)
        with self._db.connect() as connection:
            existing = query_store.location_by_spec(connection, location_type, target)
        if dry_run:
            entities = self._dry_run(LocationSpec(location_type, target))
            location = existing or {"id": "", "type": location_type, "target": target}
            return {"location": location, "entities": entities, "exists": existing is not None}
        if existing is not None:
            raise ConflictError(f"Location {location_type}:{target} already exists")
        with self._db.transaction() as connection:
            location = query_store.add_location(connection, location_type, target)
        self.sync_locations()
        return {"location": location, "entities": []}

    def _dry_run(self, spec: LocationSpec, *, by_cause: bool = False) -> list[Entity]:
        return [preview.entity for preview in self.preview_location(spec.type, spec.target, by_cause=by_cause)]

    def preview_location(self, location_type: str, target: str, *, by_cause: bool = False) -> list[Preview]:
        """What registering the location would add: its Location entity, then each entity read, with problems.

        Nothing is written. A location that cannot be read at all raises InputError naming the problem (as
        Backstage's dry run does), or with ``by_cause`` the error of the cause (403 when reading the URL is not
        allowed, 404 when it does not exist), as Backstage's analyze-location does.
        """
        root = generated_location_entity(LocationSpec(location_type, target))
        outcome = self._processor.process("", root, {})
        # The root has one target: a problem reading it is the answer.
        if outcome.errors:
            first = outcome.errors[0]
            message = f"{first.name}: {first.message}"
            raise error_named(first.name, message) if by_cause else InputError(message)
        previews = [Preview(root, [])]
        todo = [(child, 0) for child in itertools.islice(outcome.children or (), 1000)]
        while todo and len(previews) < 1000:
            child, depth = todo.pop(0)
            result = self._processor.process(child.entity_ref, child.entity, {})
            problems = [{"name": e.name, "message": e.message} for e in [*result.errors, *result.notices]]
            previews.append(Preview(result.processed or child.entity, problems))
            if result.processed and result.processed.get("kind") == "Location" and depth < 5:
                todo.extend((grandchild, depth + 1) for grandchild in itertools.islice(result.children or (), 1000))
        return previews

    def locations(self) -> list[dict[str, str]]:
        with self._db.connect() as connection:
            return query_store.list_locations(connection)

    def location(self, location_id: str) -> dict[str, str]:
        with self._db.connect() as connection:
            location = query_store.location_by_id(connection, location_id)
        if location is None:
            raise NotFoundError(f"Found no location with ID {location_id}")
        location.pop("static")
        return location

    def delete_location(self, location_id: str) -> None:
        if self.policy.readonly:
            raise NotAllowedError("This catalog is in read-only mode (catalog.readonly); locations cannot be removed")
        with self._db.transaction() as connection:
            location = query_store.location_by_id(connection, location_id)
            if location is None:
                raise NotFoundError(f"Found no location with ID {location_id}")
            if location["static"]:
                raise NotAllowedError(
                    f"Location {location['type']}:{location['target']} comes from catalog.locations in app-config; "
                    "remove it there"
                )
            query_store.remove_location(connection, location_id)
        self.sync_locations()

    def location_by_entity(self, kind: str, namespace: str, name: str) -> dict[str, str]:
        entity = self.entity_by_name(kind, namespace, name)
        annotation = (entity["metadata"].get("annotations") or {}).get("backstage.io/managed-by-origin-location", "")
        try:
            location_type, target = parse_location_ref(annotation)
        except ValueError as error:
            raise NotFoundError(f"Entity {kind}:{namespace}/{name} has no origin location") from error
        with self._db.connect() as connection:
            location = query_store.location_by_spec(connection, location_type, target)
        if location is None:
            raise NotFoundError(f"Found no location {annotation}")
        return location

    def analyze_location(self, location: dict[str, Any], catalog_filename: Any) -> dict[str, Any]:
        """The entities a location holds, or the reason it cannot be read (400, 403 or 404)."""
        location_type, target = location.get("type", "url"), location.get("target")
        if not isinstance(location_type, str):
            raise InputError("location.type must be a string naming a location type, such as url")
        if not isinstance(target, str) or not target.strip():
            raise InputError("location.target is required: the URL of a repository or of a catalog-info.yaml")
        if catalog_filename is not None and not isinstance(catalog_filename, str):
            raise InputError("catalogFilename must be a file name such as catalog-info.yaml")
        self._check_location_type(location_type)
        check_location_target(location_type, target)
        if not target.endswith((".yaml", ".yml")):
            target = target.rstrip("/") + "/" + (catalog_filename or "catalog-info.yaml")
        entities = self._dry_run(LocationSpec(location_type, target), by_cause=True)[1:]
        refs = [EntityRef.of(entity).key for entity in entities if isinstance(entity.get("metadata"), dict)]
        with self._db.connect() as connection:
            known = query_store.entities_by_refs(connection, refs, ())
        return {
            "existingEntityFiles": [
                {"entity": entity, "isRegistered": ref in known, "location": {"type": location_type, "target": target}}
                for entity, ref in zip(entities, refs, strict=False)
            ],
            "generateEntities": [],
        }

    # -- locations, as the portal shows them ---------------------------------------------------------------

    def registered_locations(self) -> list[dict[str, Any]]:
        """Locations registered through the API (not app-config's), with whether each can be removed."""
        with self._db.connect() as connection:
            listed = query_store.list_locations(connection)
            found = [query_store.location_by_id(connection, item["id"]) for item in listed]
        return [location for location in found if location is not None and not location["static"]]

    def registered_location_of(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The registered location an entity came from; None when it came from app-config or elsewhere."""
        try:
            location = self.location_by_entity(kind, namespace, name)
        except NotFoundError:
            return None
        with self._db.connect() as connection:
            found = query_store.location_by_id(connection, location["id"])
        return None if found is None or found["static"] else found

    def location_entities(self, location_type: str, target: str, limit: int = 1000) -> list[Entity]:
        """Entities that came in through a registered location: what unregistering it removes."""
        key = "metadata.annotations.backstage.io/managed-by-origin-location"
        filters: FilterSets = ((Condition(key, (f"{location_type}:{target}".lower(),)),),)
        return self.list_entities(filters, order=[OrderField("kind"), OrderField("metadata.name")], limit=limit)

    def status(self) -> dict[str, Any]:
        with self._db.connect() as connection:
            pending = store.pending_count(connection)
        return {"pending": pending, "processed": self.engine.processed_total, "lastError": self.engine.last_error}


def _facet_counts(connection: Any, name: str, filters: FilterSets) -> tuple[tuple[str, int], ...]:
    return tuple(query_store.facets(connection, name, filters))
