"""Registered locations: registering (or previewing), moving, finding by predicate and removing them.

Part of the catalog service (``CatalogService`` inherits these operations); kept apart so that each module
reads as one subject.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from callboard.catalog import location_store, query_store
from callboard.catalog.filters import Condition, FilterSets
from callboard.catalog.location_query import parse_location_query
from callboard.catalog.page_order import OrderField
from callboard.catalog.processing import ItemProcessor
from callboard.catalog.providers import LocationSpec, generated_location_entity, location_entity_ref
from callboard.catalog.reading import check_location_target, parse_location_ref
from callboard.catalog.results import CatalogPolicy, Preview
from callboard.core.entity import Entity, EntityRef
from callboard.core.errors import ConflictError, InputError, NotAllowedError, NotFoundError, error_named
from callboard.storage.db import Database


class LocationOperations:
    """The location half of the catalog service; the other half provides what is declared below."""

    _db: Database
    _processor: ItemProcessor
    policy: CatalogPolicy

    if TYPE_CHECKING:

        def sync_locations(self) -> None: ...

        def refresh(self, entity_ref: str) -> None: ...

        def entity_by_name(self, kind: str, namespace: str, name: str) -> Entity: ...

        def list_entities(
            self, filters: FilterSets, *, order: Sequence[OrderField] = (), limit: int | None = None
        ) -> list[Entity]: ...

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
            existing = location_store.location_by_spec(connection, location_type, target)
        return existing is not None, self.preview_location(location_type, target)[1:]

    def add_location(
        self, location_type: str, target: str, *, dry_run: bool, any_type: bool = False, refresh_existing: bool = False
    ) -> dict[str, Any]:
        """Register a location. ``any_type`` is for Callboard's own trusted callers (a template publishing into
        the server's data folder), never for targets a person typed. ``refresh_existing`` (Backstage's
        ``onConflict=refresh``) answers a location registered already with itself, read again soon, instead of a
        conflict."""
        if self.policy.readonly and not dry_run:
            raise NotAllowedError("This catalog is in read-only mode (catalog.readonly); locations cannot be added")
        if not any_type:
            self._check_location_type(location_type)
        with self._db.connect() as connection:
            existing = location_store.location_by_spec(connection, location_type, target)
        if dry_run:
            entities = self._dry_run(LocationSpec(location_type, target))
            location = existing or {
                "id": "",
                "type": location_type,
                "target": target,
                "entityRef": location_entity_ref(location_type, target),
            }
            return {"location": location, "entities": entities, "exists": existing is not None}
        if existing is not None:
            if refresh_existing:
                self.refresh(existing["entityRef"])
                return {"location": existing, "entities": [], "refreshed": True}
            raise ConflictError(f"Location {location_type}:{target} already exists")
        with self._db.transaction() as connection:
            location = location_store.add_location(connection, location_type, target)
        self.sync_locations()
        return {"location": location, "entities": []}

    def move_location(self, location_id: str, location_type: str, target: str) -> dict[str, str]:
        """Point a registered location at another target (``PUT /locations/{id}``); its Location entity keeps
        its ref and reads the new target, and what only the old target held leaves the catalog."""
        if self.policy.readonly:
            raise NotAllowedError("This catalog is in read-only mode (catalog.readonly); locations cannot be changed")
        self._check_location_type(location_type)
        with self._db.transaction() as connection:
            _registered(connection, location_id, "change it there")
            clash = location_store.location_by_spec(connection, location_type, target)
            if clash is not None and clash["id"] != location_id:
                raise ConflictError(
                    f"Location {location_type}:{target} already exists (id {clash['id']}); "
                    "remove that one first, or keep it and remove this one"
                )
            location_store.move_location(connection, location_id, location_type, target)
        self.sync_locations()
        return self.location(location_id)

    def query_locations(self, request: Mapping[str, Any], *, readable: bool = True) -> dict[str, Any]:
        """Locations matching a filter predicate, a page at a time (``POST /locations/by-query``); an empty
        page when not ``readable`` (the request is checked all the same)."""
        query = parse_location_query(request)
        return query.page(self.locations() if readable else [])

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
            return location_store.list_locations(connection)

    def location(self, location_id: str) -> dict[str, str]:
        with self._db.connect() as connection:
            location = location_store.location_by_id(connection, location_id)
        if location is None:
            raise NotFoundError(f"Found no location with ID {location_id}")
        location.pop("static")
        return location

    def delete_location(self, location_id: str) -> None:
        if self.policy.readonly:
            raise NotAllowedError("This catalog is in read-only mode (catalog.readonly); locations cannot be removed")
        with self._db.transaction() as connection:
            _registered(connection, location_id, "remove it there")
            location_store.remove_location(connection, location_id)
        self.sync_locations()

    def location_by_entity(self, kind: str, namespace: str, name: str) -> dict[str, str]:
        entity = self.entity_by_name(kind, namespace, name)
        annotation = (entity["metadata"].get("annotations") or {}).get("backstage.io/managed-by-origin-location", "")
        try:
            location_type, target = parse_location_ref(annotation)
        except ValueError as error:
            raise NotFoundError(f"Entity {kind}:{namespace}/{name} has no origin location") from error
        with self._db.connect() as connection:
            location = location_store.location_by_spec(connection, location_type, target)
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
            listed = location_store.list_locations(connection)
            found = [location_store.location_by_id(connection, item["id"]) for item in listed]
        return [location for location in found if location is not None and not location["static"]]

    def registered_location_of(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The registered location an entity came from; None when it came from app-config or elsewhere."""
        try:
            location = self.location_by_entity(kind, namespace, name)
        except NotFoundError:
            return None
        with self._db.connect() as connection:
            found = location_store.location_by_id(connection, location["id"])
        return None if found is None or found["static"] else found

    def location_entities(self, location_type: str, target: str, limit: int = 1000) -> list[Entity]:
        """Entities that came in through a registered location: what unregistering it removes."""
        key = "metadata.annotations.backstage.io/managed-by-origin-location"
        filters: FilterSets = ((Condition(key, (f"{location_type}:{target}".lower(),)),),)
        return self.list_entities(filters, order=[OrderField("kind"), OrderField("metadata.name")], limit=limit)


def _registered(connection: Any, location_id: str, instead: str) -> dict[str, Any]:
    """The registered location with this id; NotFound, or NotAllowed for one from app-config (``instead``
    says what to do there)."""
    location = location_store.location_by_id(connection, location_id)
    if location is None:
        raise NotFoundError(f"Found no location with ID {location_id}")
    if location["static"]:
        raise NotAllowedError(
            f"Location {location['type']}:{location['target']} comes from catalog.locations in app-config; {instead}"
        )
    return location
