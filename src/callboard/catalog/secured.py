"""The catalog as every caller reads and changes it: each read filtered and each change checked by the
permission policy, for an explicit caller.

``SecuredCatalog`` is the one way into the catalog outside the composition root. It is built for an
``Access`` (who is asking, with the policy's decisions for them) or for a function returning the current
request's; ``acting_as`` gives the same catalog for someone else (a scaffolder task's creator). Background
readers (the search indexer, sign-in, plugins' tasks) act as ``SYSTEM`` and hand results on only through a
user's own access. A conditional ``catalog.entity.read`` becomes part of the query, so lists are filtered
where they are read, never loaded and dropped. Changes are written to the audit log in the caller's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from callboard.catalog.filters import Condition, FilterSets
from callboard.catalog.paging import QueryState
from callboard.catalog.results import Page, Preview, no_entity_named
from callboard.catalog.service import CatalogService
from callboard.catalog.stitching import load_json, search_rows
from callboard.catalog.views import Browse
from callboard.core.audit import AuditSink
from callboard.core.entity import Entity, EntityRef, EntityRefError
from callboard.core.errors import NotAllowedError, NotFoundError
from callboard.core.permissions import (
    CATALOG_ENTITY_DELETE,
    CATALOG_ENTITY_READ,
    CATALOG_ENTITY_REFRESH,
    CATALOG_LOCATION_ANALYZE,
    CATALOG_LOCATION_CREATE,
    CATALOG_LOCATION_DELETE,
    CATALOG_LOCATION_READ,
    AccessLike,
    Criteria,
    access_source,
    require,
    who,
)


def criteria_filters(criteria: Criteria) -> FilterSets:
    return tuple(tuple(Condition(key, values) for key, values in conjunction) for conjunction in criteria)


def restrict(filters: FilterSets, criteria: Criteria) -> FilterSets:
    """``filters`` AND ``criteria``: both are disjunctions of conjunctions, so every pair is combined."""
    extra = criteria_filters(criteria)
    if not filters:
        return extra
    return tuple(left + right for left in filters for right in extra)


def matches(entity: Mapping[str, Any], criteria: Criteria) -> bool:
    """Whether one entity satisfies the criteria, by the same index rows the SQL filters use."""
    rows = search_rows(dict(entity))
    keys = {key for key, _, _ in rows}
    pairs = {(key, value) for key, _, value in rows}
    return any(
        all((key in keys) if values is None else any((key, value) in pairs for value in values) for key, values in conj)
        for conj in criteria
    )


def readable_refs(service: CatalogService, refs: Sequence[str], criteria: Criteria) -> set[str]:
    """Which of ``refs`` name entities that satisfy ``criteria`` (one query)."""
    found = service.entities_by_refs(refs, ("kind",), criteria_filters(criteria)) if refs else []
    return {ref for ref, entity in zip(refs, found, strict=True) if entity is not None}


class SecuredCatalog:
    def __init__(
        self,
        service: CatalogService,
        access: AccessLike | Callable[[], AccessLike],
        audit: AuditSink | None = None,
    ) -> None:
        self._service = service
        self._access = access_source(access)
        self._audit = audit

    @property
    def reads_are_local(self) -> bool:
        return bool(self._service.reads_are_local)

    def acting_as(self, access: AccessLike) -> SecuredCatalog:
        """The same catalog for another caller (background work acting for the user who started it)."""
        return SecuredCatalog(self._service, access, self._audit)

    @property
    def policy(self) -> Any:
        return self._service.policy

    @property
    def engine(self) -> Any:
        return self._service.engine

    # -- checks -----------------------------------------------------------------------------------------------

    def _require(self, permission: str, what: str) -> None:
        require(self._access(), permission, what)

    def _who(self) -> str:
        return who(self._access())

    def _read_filters(self, filters: FilterSets) -> FilterSets | None:
        """The filters narrowed to what the caller may read; None when it may read nothing."""
        decision = self._access().decide(CATALOG_ENTITY_READ)
        if decision.result == "deny":
            return None
        if decision.result == "conditional":
            return restrict(filters, decision.criteria)
        return filters

    def _restriction(self) -> Criteria | None:
        decision = self._access().decide(CATALOG_ENTITY_READ)
        if decision.result == "deny":
            return ((("kind", ()),),)  # matches nothing
        return decision.criteria if decision.result == "conditional" else None

    def _readable(self, entity: Mapping[str, Any]) -> bool:
        decision = self._access().decide(CATALOG_ENTITY_READ)
        return decision.result == "allow" or (decision.result == "conditional" and matches(entity, decision.criteria))

    def _check_entity(self, permission: str, entity: Mapping[str, Any], what: str) -> None:
        decision = self._access().decide(permission)
        if decision.result == "allow" or (decision.result == "conditional" and matches(entity, decision.criteria)):
            return
        raise NotAllowedError(f"{self._who()} may not {what} ({permission})")

    def _record(self, action: str, target: str, **details: Any) -> None:
        if self._audit is not None:
            self._audit.record(self._access().identity.subject, action, target, details=details or None)

    # -- the portal's read models -----------------------------------------------------------------------------

    def readable_filter(self) -> Callable[[Sequence[str]], set[str]] | None:
        """For results that name entities (search): which of a list of refs the caller may read; None: all."""
        decision = self._access().decide(CATALOG_ENTITY_READ)
        if decision.result == "allow":
            return None
        if decision.result == "deny":
            return lambda refs: set()
        criteria = decision.criteria
        return lambda refs: readable_refs(self._service, refs, criteria)

    def browse(self, chosen: Mapping[str, Sequence[str]], **options: Any) -> Browse:
        return self._service.views.browse(chosen, restrict=self._restriction(), **options)

    def quick_find(self, term: str, limit: int = 8) -> list[Entity]:
        return self._service.views.quick_find(term, limit, restrict=self._restriction())

    def problems(self, limit: int = 500) -> dict[str, Any]:
        found = self._service.views.problems(limit)
        decision = self._access().decide(CATALOG_ENTITY_READ)
        if decision.result == "allow":
            return found
        if decision.result == "deny":
            return {"failing": [], "orphans": []}
        readable = readable_refs(self._service, [item["ref"] for item in found["failing"]], decision.criteria)
        return {
            "failing": [item for item in found["failing"] if item["ref"] in readable],
            "orphans": [entity for entity in found["orphans"] if matches(entity, decision.criteria)],
        }

    def count(self, filters: FilterSets) -> int:
        narrowed = self._read_filters(filters)
        return 0 if narrowed is None else self._service.views.count(narrowed)

    def parents(self, ref: str) -> list[str]:
        return self._service.views.parents(ref)

    # -- the whole catalog, for readers that serve every caller (the search indexer) -------------------------

    def _require_everything(self, what: str) -> None:
        if self._access().decide(CATALOG_ENTITY_READ).result != "allow":
            raise NotAllowedError(f"{self._who()} may not {what}: it needs to read every entity")

    def changed_since(self, since: float, after_ref: str, limit: int) -> list[tuple[str, Mapping[str, Any], float]]:
        """Up to ``limit`` (ref, entity, updated_at) in (updated_at, ref) order, after (since, after_ref)."""
        self._require_everything("follow the catalog's changes")
        return self._service.views.changed_since(since, after_ref, limit)

    def existing_refs(self, refs: Sequence[str]) -> set[str]:
        """Those of ``refs`` the catalog holds."""
        self._require_everything("list every entity")
        return self._service.views.existing_refs(refs)

    def total(self) -> int:
        """How many entities the catalog holds (a count of the table)."""
        self._require_everything("count every entity")
        return self._service.views.total()

    def entity_map(self, refs: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """The entities of those refs the catalog holds, by lower-case ref."""
        keys = list(dict.fromkeys(ref.lower() for ref in refs))
        found = self.entities_by_refs(keys, (), ()) if keys else []
        return {key: entity for key, entity in zip(keys, found, strict=True) if entity is not None}

    # -- entities ---------------------------------------------------------------------------------------------

    def list_entities(self, filters: FilterSets, **options: Any) -> list[Entity]:
        narrowed = self._read_filters(filters)
        return [] if narrowed is None else self._service.list_entities(narrowed, **options)

    def list_entity_texts(self, filters: FilterSets, **options: Any) -> list[str]:
        narrowed = self._read_filters(filters)
        return [] if narrowed is None else self._service.list_entity_texts(narrowed, **options)

    def query_entities(self, filters: FilterSets, *, cursor: str | None = None, **options: Any) -> Page:
        decision = self._access().decide(CATALOG_ENTITY_READ)
        if decision.result == "deny":
            return Page([], 0)
        if decision.result == "allow":
            return self._service.query_entities(filters, cursor=cursor, **options)
        if not cursor:
            return self._service.query_entities(restrict(filters, decision.criteria), **options)
        # A cursor carries the filters it was made with; they are narrowed again on every page.
        state = QueryState.from_cursor(cursor)
        return self._service.query_entities(
            restrict(state.filters, decision.criteria),
            fields=options.get("fields", ()),
            order=state.order,
            full_text=state.full_text,
            limit=state.limit,
            offset=state.offset,
            count=state.count,
            predicate=state.predicate,
            raw=options.get("raw", False),
            after=state.after,
        )

    def entity_by_name(self, kind: str, namespace: str, name: str) -> Entity:
        entity: Entity = load_json(self.entity_json_by_name(kind, namespace, name))
        return entity

    def entity_json_by_name(self, kind: str, namespace: str, name: str) -> str:
        """``entity_by_name`` as the stored JSON text: a caller who may read everything gets it unparsed."""
        return self._readable_text(self._service.entity_text_by_name(kind, namespace, name), kind, namespace, name)

    async def entity_json_by_name_async(self, kind: str, namespace: str, name: str) -> str:
        """``entity_json_by_name`` awaited on the event loop."""
        text = await self._service.entity_text_by_name_async(kind, namespace, name)
        return self._readable_text(text, kind, namespace, name)

    def _readable_text(self, text: str, kind: str, namespace: str, name: str) -> str:
        if self._access().decide(CATALOG_ENTITY_READ).result != "allow" and not self._readable(load_json(text)):
            # As Backstage does: an entity the caller may not read does not exist for them.
            raise no_entity_named(kind, namespace, name)
        return text

    def hidden_refs(self, refs: Iterable[str]) -> set[str]:
        """Which of ``refs`` (lower-case) name entities that exist but the caller may not read."""
        decision = self._access().decide(CATALOG_ENTITY_READ)
        wanted = sorted(set(refs))
        if decision.result == "allow" or not wanted:
            return set()
        readable = set() if decision.result == "deny" else readable_refs(self._service, wanted, decision.criteria)
        return readable_refs(self._service, wanted, ()) - readable

    def without_hidden_relations(self, entities: Sequence[Entity]) -> list[Entity]:
        """The entities as pages show them: relations to entities the caller may not read are removed.

        Relations are the catalog's own, computed from other entities too (a group's ``ownerOf`` comes from
        what it owns), so they would name what the caller cannot see. A relation to a ref the catalog does not
        hold stays: it names nothing hidden, and the page says it is not in the catalog.
        """
        refs = {str(r.get("targetRef", "")).lower() for e in entities for r in e.get("relations") or []}
        hidden = self.hidden_refs(refs)
        if not hidden:
            return list(entities)
        return [
            {
                **entity,
                "relations": [
                    r for r in entity.get("relations") or [] if str(r.get("targetRef", "")).lower() not in hidden
                ],
            }
            for entity in entities
        ]

    def entity_by_uid(self, uid: str) -> Entity:
        entity = self._service.entity_by_uid(uid)
        if not self._readable(entity):
            raise NotFoundError(f"No entity with uid {uid}")
        return entity

    def entities_by_refs(self, refs: Sequence[str], fields: Sequence[str], filters: FilterSets) -> list[Entity | None]:
        narrowed = self._read_filters(filters)
        if narrowed is None:
            return [None for _ in refs]
        return self._service.entities_by_refs(refs, fields, narrowed)

    def facets(self, names: Sequence[str], filters: FilterSets) -> dict[str, list[dict[str, Any]]]:
        narrowed = self._read_filters(filters)
        if narrowed is None:
            return {name: [] for name in names}
        return self._service.facets(names, narrowed)

    def cached_facets(self, names: Sequence[str], filters: FilterSets) -> dict[str, list[dict[str, Any]]] | None:
        """``facets`` if the answer is already known for the catalog as it is (no query), else None."""
        narrowed = self._read_filters(filters)
        if narrowed is None:
            return {name: [] for name in names}
        return self._service.cached_facets(names, narrowed)

    def ancestry(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        self.entity_by_name(kind, namespace, name)
        result = self._service.ancestry(kind, namespace, name)
        result["items"] = [item for item in result["items"] if self._readable(item["entity"])]
        return result

    def delete_by_uid(self, uid: str) -> None:
        """As Backstage's authorized catalog: refused (403) unless the policy allows deleting this entity,
        whether or not it exists; a caller allowed to delete anything gets 204 for a uid it cannot find or see,
        and nothing is deleted."""
        decision = self._access().decide(CATALOG_ENTITY_DELETE)
        if decision.result == "deny":
            raise NotAllowedError(f"{self._who()} may not delete entities ({CATALOG_ENTITY_DELETE})")
        try:
            entity = self.entity_by_uid(uid)
        except NotFoundError:
            if decision.result == "conditional":
                raise NotAllowedError(f"{self._who()} may not delete this entity ({CATALOG_ENTITY_DELETE})") from None
            return
        self._check_entity(CATALOG_ENTITY_DELETE, entity, "delete this entity")
        if self._service.policy.readonly:
            raise NotAllowedError("This catalog is in read-only mode (catalog.readonly); entities cannot be deleted")
        self._service.delete_by_uid(uid)
        self._record("catalog.entity.delete", _ref(entity))

    def refresh(self, entity_ref: str) -> None:
        try:
            parsed = EntityRef.parse(entity_ref)
            entity = self.entity_by_name(parsed.kind, parsed.namespace, parsed.name)
        except (EntityRefError, NotFoundError):
            entity = None
        if entity is not None:
            self._check_entity(CATALOG_ENTITY_REFRESH, entity, "refresh this entity")
        else:
            self._require(CATALOG_ENTITY_REFRESH, "refresh entities")
        self._service.refresh(entity_ref)
        self._record("catalog.entity.refresh", entity_ref)

    def validate_entity(self, entity: Any, location: str) -> list[dict[str, str]]:
        return self._service.validate_entity(entity, location)

    def export_entities(self) -> Iterable[str]:
        self._require(CATALOG_ENTITY_READ, "export the catalog")
        return self._service.export_entities()

    # -- locations --------------------------------------------------------------------------------------------

    def add_location(
        self,
        location_type: str,
        target: str,
        *,
        dry_run: bool,
        any_type: bool = False,
        via: str = "",
        refresh_existing: bool = False,
    ) -> dict[str, Any]:
        """Register (or dry-run) a location as the caller; ``any_type`` and ``via`` are for Callboard's own
        callers (a template run registering what it published), never for what a request names."""
        if dry_run:
            self._require(CATALOG_LOCATION_ANALYZE, "analyse locations")
        else:
            self._require(CATALOG_LOCATION_CREATE, "register locations")
        result = self._service.add_location(
            location_type, target, dry_run=dry_run, any_type=any_type, refresh_existing=refresh_existing
        )
        if result.pop("refreshed", False):  # registered already, and asked to refresh it (onConflict=refresh)
            self._record("catalog.location.refresh", f"{location_type}:{target}", id=result["location"]["id"])
        elif not dry_run:
            details: dict[str, Any] = {"id": result["location"]["id"]}
            if via:
                details["via"] = via
            self._record("catalog.location.create", f"{location_type}:{target}", **details)
        return result

    def preview_registration(self, location_type: str, target: str) -> tuple[bool, list[Preview]]:
        self._require(CATALOG_LOCATION_ANALYZE, "analyse locations")
        return self._service.preview_registration(location_type, target)

    def analyze_location(self, location: dict[str, Any], catalog_filename: str | None) -> dict[str, Any]:
        self._require(CATALOG_LOCATION_ANALYZE, "analyse locations")
        return self._service.analyze_location(location, catalog_filename)

    def locations(self) -> list[dict[str, str]]:
        self._require(CATALOG_LOCATION_READ, "read locations")
        return self._service.locations()

    def location(self, location_id: str) -> dict[str, str]:
        self._require(CATALOG_LOCATION_READ, "read locations")
        return self._service.location(location_id)

    def query_locations(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Locations matching a predicate, a page at a time; none for a caller who may not read locations
        (Backstage answers an empty page there, not a refusal)."""
        readable = self._access().decide(CATALOG_LOCATION_READ).result != "deny"
        return self._service.query_locations(request, readable=readable)

    def move_location(self, location_id: str, location_type: str, target: str) -> dict[str, str]:
        """Point a registered location at another target; as Backstage, this needs the right to register."""
        self._require(CATALOG_LOCATION_CREATE, "change locations")
        before = self._service.location(location_id)
        moved = self._service.move_location(location_id, location_type, target)
        was = f"{before['type']}:{before['target']}"
        self._record("catalog.location.update", f"{location_type}:{target}", id=location_id, was=was)
        return moved

    def location_by_entity(self, kind: str, namespace: str, name: str) -> dict[str, str]:
        self._require(CATALOG_LOCATION_READ, "read locations")
        self.entity_by_name(kind, namespace, name)
        return self._service.location_by_entity(kind, namespace, name)

    def registered_locations(self) -> list[dict[str, Any]]:
        self._require(CATALOG_LOCATION_READ, "read locations")
        return self._service.registered_locations()

    def registered_location_of(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        self._require(CATALOG_LOCATION_READ, "read locations")
        return self._service.registered_location_of(kind, namespace, name)

    def location_entities(self, location_type: str, target: str, limit: int = 1000) -> list[Entity]:
        return [e for e in self._service.location_entities(location_type, target, limit) if self._readable(e)]

    def unregister_origin(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        """Remove the registered location an entity came from (and so everything it brought); the location.

        Refused for an entity that came from app-config or from a provider: there is no location to remove,
        only the entity (which its source brings back until the source changes).
        """
        ref = f"{kind}:{namespace}/{name}".lower()
        location = self.registered_location_of(kind, namespace, name)
        if location is None:
            raise NotAllowedError(f"{ref} did not come from a registered location; delete the entity instead")
        self.delete_location(location["id"])
        return location

    def delete_location(self, location_id: str) -> None:
        self._require(CATALOG_LOCATION_DELETE, "unregister locations")
        location = self._service.location(location_id)
        self._service.delete_location(location_id)
        self._record("catalog.location.delete", f"{location['type']}:{location['target']}", id=location_id)

    def status(self) -> dict[str, Any]:
        return self._service.status()

    def catch_up(self) -> None:
        """After the caller's own change from the pages: the catalog table they see next already shows it."""
        self._service.views.catch_up_browse_index()


def _ref(entity: Mapping[str, Any]) -> str:
    return EntityRef.of(dict(entity)).key
