"""``/api/catalog``: Backstage's catalog REST API, shape for shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from callboard.catalog.api import (
    FilterSets,
    FullText,
    OrderField,
    SecuredCatalog,
    both,
    encode_cursor,
    page_cursor,
    parse_predicate,
)
from callboard.core.errors import InputError
from callboard.core.limits import RequestLimits
from callboard.web.api.models import (
    AddLocationRequest,
    AnalyzeLocationRequest,
    ByRefsRequest,
    EntityList,
    EntityPage,
    Facets,
    FacetsByPredicateRequest,
    LocationPage,
    LocationQueryRequest,
    QueryByPredicateRequest,
    RefreshRequest,
    ValidateEntityRequest,
)
from callboard.web.api.params import MAX_ORDER_FIELDS, filter_params, filter_pattern, limit_param, offset_param

MAX_FACETS = 50
ORDER = r"^(asc|desc):.+$"
ORDER_FIELD = r"^[^,]+(,(asc|desc))?$"
FieldsParam = Annotated[list[str], Query(description="Dotted fields to answer with, e.g. kind,metadata.name")]


def _pattern(pattern: str) -> dict[str, Any]:
    return {"items": {"type": "string", "pattern": pattern}}


def _fields(raw: list[str]) -> list[str]:
    return [field.strip() for item in raw for field in item.split(",") if field.strip()]


def _full_text(term: str | None, fields: Sequence[str]) -> FullText | None:
    """A full-text filter from its term and fields (blank ones dropped); None for a blank term."""
    if not term or not term.strip():
        return None
    return FullText(term.strip(), tuple(field.strip() for field in fields if field.strip()))


def _order(raw: Sequence[str]) -> list[OrderField]:
    order = []
    for item in raw:
        direction, _, field = item.partition(":")
        if direction not in ("asc", "desc") or not field:
            raise InputError(f"Invalid order {item!r}; write asc:<field> or desc:<field>")
        order.append(OrderField(field, direction == "desc"))
    return order


def _order_fields(raw: Sequence[str]) -> list[OrderField]:
    order = []
    for item in raw:
        field, _, direction = item.partition(",")
        direction = direction or "asc"
        if direction not in ("asc", "desc") or not field:
            raise InputError(f"Invalid orderField {item!r}; write <field>,asc or <field>,desc")
        order.append(OrderField(field, direction == "desc"))
    return order


def catalog_router(catalog: SecuredCatalog, limits: RequestLimits | None = None) -> APIRouter:
    router = APIRouter(prefix="/api/catalog", tags=["catalog"])
    limits = limits or RequestLimits()

    # Declared here, not as module constants, because the configured limits are part of each declaration
    # (the OpenAPI document says what this portal accepts).
    offset_query = Query(
        None,
        description="Entities to skip before the first answered.",
        json_schema_extra={"minimum": 0, "maximum": limits.max_offset},
    )
    limit_query = Query(
        None,
        description="Most entities to answer (backend.limits.query.maxLimit).",
        json_schema_extra={"minimum": 0, "maximum": limits.max_limit},
    )
    filter_query = Query(
        [],
        alias="filter",
        description=(
            "key=value conditions joined by commas (all must hold); repeat the parameter for alternatives. "
            f"At most {limits.max_filters} parameters (backend.limits.query.maxFilters) of {limits.max_conditions} "
            "conditions each (backend.limits.query.maxConditions)."
        ),
        json_schema_extra={
            "maxItems": limits.max_filters,
            "items": {
                "type": "string",
                "pattern": filter_pattern(limits.max_conditions),
                "maxLength": limits.max_filter_length,
            },
        },
    )
    term_query = Query(None, alias="fullTextFilterTerm", max_length=limits.max_filter_length)

    def parse_filters(raw: list[str]) -> Any:
        return filter_params(raw, limits)

    def predicate(raw: dict[str, Any] | None) -> FilterSets:
        return () if raw is None else parse_predicate(raw, max_conditions=limits.max_filters * limits.max_conditions)

    def answer(page: Any) -> Response:
        page_info: dict[str, str] = {}
        if page.next_cursor:
            page_info["nextCursor"] = page.next_cursor
        if page.prev_cursor:
            page_info["prevCursor"] = page.prev_cursor
        if page.raw is None:
            return JSONResponse({"items": page.items, "totalItems": page.total, "pageInfo": page_info})
        # The stored entity texts are spliced in as they are: parsing and writing them again would be most
        # of the request's time.
        tail = orjson.dumps({"totalItems": page.total, "pageInfo": page_info})
        body = b'{"items":[' + ",".join(page.raw).encode() + b"]," + tail[1:]
        return Response(body, media_type="application/json")

    @router.get("/entities", responses={200: {"model": list[dict[str, Any]]}})
    def get_entities(
        filters: list[str] = filter_query,
        fields: FieldsParam = [],  # noqa: B006
        order: Annotated[list[str], Query(max_length=MAX_ORDER_FIELDS, json_schema_extra=_pattern(ORDER))] = [],  # noqa: B006
        offset: int | None = offset_query,
        limit: int | None = limit_query,
        after: Annotated[str | None, Query(description="The cursor of a Link: rel=next header.")] = None,
    ) -> Response:
        start, size = offset_param(offset, limits), limit_param(limit, limits)
        if after:
            start, cursor_limit = page_cursor(after)
            size = cursor_limit or size
        parsed = parse_filters(filters)
        wanted = {"order": _order(order), "offset": start, "limit": None if size is None else size + 1}
        selected = _fields(fields)
        items: Sequence[Any] = (
            catalog.list_entities(parsed, fields=selected, **wanted)
            if selected
            else catalog.list_entity_texts(parsed, **wanted)
        )
        headers = {}
        if size is not None and len(items) > size:
            items = items[:size]
            params = [("filter", f) for f in filters] + [("fields", f) for f in fields] + [("order", o) for o in order]
            params += [("limit", str(size)), ("after", encode_cursor({"limit": size, "offset": start + size}))]
            headers["Link"] = f'</entities?{urlencode(params)}>; rel="next"'
        if selected:
            return JSONResponse(items, headers=headers)
        return Response(("[" + ",".join(items) + "]").encode(), media_type="application/json", headers=headers)

    @router.get("/entities/by-query", responses={200: {"model": EntityPage}})
    def query_entities(
        filters: list[str] = filter_query,
        fields: FieldsParam = [],  # noqa: B006
        limit: int | None = limit_query,
        offset: int | None = offset_query,
        order_field: Annotated[
            list[str], Query(alias="orderField", max_length=MAX_ORDER_FIELDS, json_schema_extra=_pattern(ORDER_FIELD))
        ] = [],  # noqa: B006
        cursor: Annotated[str | None, Query(description="pageInfo.nextCursor or prevCursor of a page.")] = None,
        term: str | None = term_query,
        term_fields: Annotated[str | None, Query(alias="fullTextFilterFields")] = None,
        total_items: Annotated[str | None, Query(alias="totalItems", pattern="^(include|exclude)$")] = None,
    ) -> Response:
        page = catalog.query_entities(
            parse_filters(filters),
            fields=_fields(fields),
            order=_order_fields(order_field),
            full_text=_full_text(term, (term_fields or "").split(",")),
            limit=20 if limit is None else limit_param(limit, limits) or 0,
            offset=offset_param(offset, limits),
            cursor=cursor,
            count=total_items != "exclude",
            raw=True,
        )
        return answer(page)

    @router.post("/entities/by-query", responses={200: {"model": EntityPage}})
    def query_entities_by_predicate(body: QueryByPredicateRequest) -> Response:
        """Backstage's predicate query (``queryEntities({ query })``); a cursor page needs only ``cursor``."""
        if body.cursor is not None and not body.cursor:
            raise InputError("Cursor cannot be empty")
        text = body.fullTextFilter
        page = catalog.query_entities(
            () if body.cursor else predicate(body.query),
            fields=_fields(body.fields or []),
            order=[OrderField(item.field, item.order == "desc") for item in body.orderBy or []],
            full_text=None if text is None else _full_text(text.term, text.fields or []),
            limit=20 if body.limit is None else limit_param(body.limit, limits) or 0,
            offset=offset_param(body.offset, limits),
            cursor=body.cursor,
            count=body.totalItems != "exclude",
            predicate=True,
            raw=True,
        )
        return answer(page)

    @router.get("/entities/by-uid/{uid}", responses={200: {"model": dict[str, Any]}})
    def by_uid(uid: str) -> dict[str, Any]:
        return catalog.entity_by_uid(uid)

    @router.delete("/entities/by-uid/{uid}", status_code=204)
    def delete_by_uid(uid: str) -> Response:
        catalog.delete_by_uid(uid)
        return Response(status_code=204)

    @router.get("/entities/by-name/{kind}/{namespace}/{name}", responses={200: {"model": dict[str, Any]}})
    async def by_name(kind: str, namespace: str, name: str) -> Response:
        # The most requested read: one indexed lookup, answered with the stored JSON as it is, on the event
        # loop (a database server's round trip is awaited there, so concurrent requests overlap their waits).
        text = await catalog.entity_json_by_name_async(kind, namespace, name)
        return Response(text, media_type="application/json")

    @router.get("/entities/by-name/{kind}/{namespace}/{name}/ancestry")
    def ancestry(kind: str, namespace: str, name: str) -> dict[str, Any]:
        return catalog.ancestry(kind, namespace, name)

    @router.post("/entities/by-refs", responses={200: {"model": EntityList}})
    def by_refs(body: ByRefsRequest, filters: list[str] = filter_query) -> dict[str, Any]:
        fields = _fields(body.fields or [])
        wanted = both(parse_filters(filters), predicate(body.query))
        return {"items": catalog.entities_by_refs(body.entityRefs, fields, wanted)}

    @router.get("/entity-facets", responses={200: {"model": Facets}})
    async def entity_facets(
        facet: Annotated[list[str], Query(min_length=1, max_length=MAX_FACETS, description="e.g. kind, spec.type")],
        filters: list[str] = filter_query,
    ) -> dict[str, Any]:
        # Facet counts are kept until the catalog changes; when they are known, answering costs one local
        # read, cheaper on the event loop than the hop to a thread (a database server's read waits there).
        wanted = parse_filters(filters)
        known = catalog.cached_facets(facet, wanted) if catalog.reads_are_local else None
        if known is None:
            known = await run_in_threadpool(catalog.facets, facet, wanted)
        return {"facets": known}

    @router.post("/entity-facets", responses={200: {"model": Facets}})
    def entity_facets_by_predicate(body: FacetsByPredicateRequest) -> dict[str, Any]:
        facets = [name for name in body.facets if name]
        if not facets:
            raise InputError("Missing or empty facets parameter")
        return {"facets": catalog.facets(facets, predicate(body.query))}

    @router.post("/refresh")
    def refresh(body: RefreshRequest) -> Response:
        catalog.refresh(body.entityRef)
        return Response(status_code=200)

    @router.post("/validate-entity", responses={400: {"description": "The entity is not valid: {errors: [...]}"}})
    def validate_entity(body: ValidateEntityRequest) -> Response:
        errors = catalog.validate_entity(body.entity, body.location)
        if errors:
            return JSONResponse({"errors": errors}, status_code=400)
        return Response(status_code=200)

    @router.post("/locations", status_code=201)
    def add_location(
        body: AddLocationRequest,
        dry_run: Annotated[str | None, Query(alias="dryRun", pattern="^(true|false)$")] = None,
        on_conflict: Annotated[
            str | None,
            Query(alias="onConflict", pattern="^(reject|refresh)$", description="refresh: answer an existing one"),
        ] = None,
    ) -> dict[str, Any]:
        return catalog.add_location(
            body.type,
            body.target,
            dry_run=(dry_run or "").lower() == "true",
            refresh_existing=on_conflict == "refresh",
        )

    @router.post("/locations/by-query", responses={200: {"model": LocationPage}})
    def query_locations(body: LocationQueryRequest) -> dict[str, Any]:
        """Backstage's ``queryLocations``: locations matching a predicate, in pages ordered by id."""
        request = body.model_dump(exclude_none=True, include={"query", "limit", "cursor"})
        if body.limit is not None:
            limit_param(body.limit, limits)
        return catalog.query_locations(request)

    @router.get("/locations")
    def list_locations() -> list[dict[str, Any]]:
        return [{"data": location} for location in catalog.locations()]

    @router.get("/locations/by-entity/{kind}/{namespace}/{name}")
    def location_by_entity(kind: str, namespace: str, name: str) -> dict[str, Any]:
        return catalog.location_by_entity(kind, namespace, name)

    # Location ids are UUIDs (as in Backstage): /locations/by-query is a route of its own, not an id.
    @router.get("/locations/{location_id:uuid}")
    def get_location(location_id: UUID) -> dict[str, Any]:
        return catalog.location(str(location_id))

    @router.put("/locations/{location_id:uuid}")
    def move_location(location_id: UUID, body: AddLocationRequest) -> dict[str, Any]:
        """Point a registered location at another target; its Location entity keeps its ref."""
        return catalog.move_location(str(location_id), body.type, body.target)

    @router.delete("/locations/{location_id:uuid}", status_code=204)
    def delete_location(location_id: UUID) -> Response:
        catalog.delete_location(str(location_id))
        return Response(status_code=204)

    @router.post("/analyze-location")
    def analyze_location(body: AnalyzeLocationRequest) -> dict[str, Any]:
        filename = body.catalogFilename or (body.model_extra or {}).get("catalogFileName")
        return catalog.analyze_location(body.location.model_dump(), filename)

    return router
