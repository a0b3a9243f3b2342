"""``/api/catalog``: Backstage's catalog REST API, shape for shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse

from callboard.catalog.paging import encode_cursor, page_cursor
from callboard.catalog.query_store import FullText, OrderField
from callboard.catalog.secured import SecuredCatalog
from callboard.core.errors import InputError
from callboard.core.limits import RequestLimits
from callboard.web.api.params import MAX_ORDER_FIELDS, bounded_list, filter_params, limit_param, offset_param

MAX_FACETS = 50
FilterParam = Annotated[list[str], Query(alias="filter")]
FieldsParam = Annotated[list[str], Query()]


def _fields(raw: list[str]) -> list[str]:
    return [field.strip() for item in raw for field in item.split(",") if field.strip()]


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

    def parse_filters(raw: list[str]) -> Any:
        return filter_params(raw, limits)

    @router.get("/entities")
    def get_entities(
        request: Request,
        filters: FilterParam = [],  # noqa: B006 - FastAPI reads the default, never mutates it
        fields: FieldsParam = [],  # noqa: B006
        order: Annotated[list[str], Query()] = [],  # noqa: B006
        offset: str | None = None,
        limit: str | None = None,
        after: str | None = None,
    ) -> Response:
        start, size = offset_param(offset, limits), limit_param(limit, limits)
        if after:
            start, cursor_limit = page_cursor(after)
            size = cursor_limit or size
        parsed = parse_filters(filters)
        items = catalog.list_entities(
            parsed,
            fields=_fields(fields),
            order=_order(bounded_list(order, "order", MAX_ORDER_FIELDS)),
            offset=start,
            limit=None if size is None else size + 1,
        )
        headers = {}
        if size is not None and len(items) > size:
            items = items[:size]
            params = [("filter", f) for f in filters] + [("fields", f) for f in fields] + [("order", o) for o in order]
            params += [("limit", str(size)), ("after", encode_cursor({"limit": size, "offset": start + size}))]
            headers["Link"] = f'</entities?{urlencode(params)}>; rel="next"'
        return JSONResponse(items, headers=headers)

    @router.get("/entities/by-query")
    def query_entities(
        filters: FilterParam = [],  # noqa: B006
        fields: FieldsParam = [],  # noqa: B006
        limit: str | None = None,
        offset: str | None = None,
        order_field: Annotated[list[str], Query(alias="orderField")] = [],  # noqa: B006
        cursor: str | None = None,
        term: Annotated[str | None, Query(alias="fullTextFilterTerm")] = None,
        term_fields: Annotated[str | None, Query(alias="fullTextFilterFields")] = None,
        total_items: Annotated[str | None, Query(alias="totalItems")] = None,
    ) -> dict[str, Any]:
        full_text = None
        if term:
            if len(term) > limits.max_filter_length:
                raise InputError(
                    f"fullTextFilterTerm is {len(term)} characters long; the limit is {limits.max_filter_length} "
                    "(backend.limits.query.maxFilterLength)"
                )
            full_text = FullText(term.strip(), tuple(f.strip() for f in (term_fields or "").split(",") if f.strip()))
        page_size = limit_param(limit, limits)
        page = catalog.query_entities(
            parse_filters(filters),
            fields=_fields(fields),
            order=_order_fields(bounded_list(order_field, "orderField", MAX_ORDER_FIELDS)),
            full_text=full_text,
            limit=20 if page_size is None else page_size,
            offset=offset_param(offset, limits),
            cursor=cursor,
            count=total_items != "exclude",
        )
        page_info: dict[str, str] = {}
        if page.next_cursor:
            page_info["nextCursor"] = page.next_cursor
        if page.prev_cursor:
            page_info["prevCursor"] = page.prev_cursor
        return {"items": page.items, "totalItems": page.total, "pageInfo": page_info}

    @router.get("/entities/by-uid/{uid}")
    def by_uid(uid: str) -> dict[str, Any]:
        return catalog.entity_by_uid(uid)

    @router.delete("/entities/by-uid/{uid}", status_code=204)
    def delete_by_uid(uid: str) -> Response:
        catalog.delete_by_uid(uid)
        return Response(status_code=204)

    @router.get("/entities/by-name/{kind}/{namespace}/{name}")
    def by_name(kind: str, namespace: str, name: str) -> dict[str, Any]:
        return catalog.entity_by_name(kind, namespace, name)

    @router.get("/entities/by-name/{kind}/{namespace}/{name}/ancestry")
    def ancestry(kind: str, namespace: str, name: str) -> dict[str, Any]:
        return catalog.ancestry(kind, namespace, name)

    @router.post("/entities/by-refs")
    def by_refs(
        body: Annotated[dict[str, Any], Body()],
        filters: FilterParam = [],  # noqa: B006
    ) -> dict[str, Any]:
        refs = body.get("entityRefs")
        if not isinstance(refs, list) or not all(isinstance(ref, str) for ref in refs):
            raise InputError("Malformed request: entityRefs must be an array of entity ref strings")
        fields = body.get("fields") or []
        if not isinstance(fields, list):
            raise InputError("Malformed request: fields must be an array")
        return {"items": catalog.entities_by_refs(refs, _fields([str(f) for f in fields]), parse_filters(filters))}

    @router.get("/entity-facets")
    def entity_facets(
        facet: Annotated[list[str], Query()] = [],  # noqa: B006
        filters: FilterParam = [],  # noqa: B006
    ) -> dict[str, Any]:
        if not facet:
            raise InputError("Missing facet parameter; give at least one, e.g. facet=kind")
        return {"facets": catalog.facets(bounded_list(facet, "facet", MAX_FACETS), parse_filters(filters))}

    @router.post("/refresh")
    def refresh(body: Annotated[dict[str, Any], Body()]) -> Response:
        ref = body.get("entityRef")
        if not isinstance(ref, str):
            raise InputError("Malformed request: entityRef must be a string")
        catalog.refresh(ref)
        return Response(status_code=200)

    @router.post("/validate-entity")
    def validate_entity(body: Annotated[dict[str, Any], Body()]) -> Response:
        location = body.get("location")
        if not isinstance(location, str):
            raise InputError("Malformed request: location must be a location ref such as url:https://...")
        errors = catalog.validate_entity(body.get("entity"), location)
        if errors:
            return JSONResponse({"errors": errors}, status_code=400)
        return Response(status_code=200)

    @router.post("/locations", status_code=201)
    def add_location(body: Annotated[dict[str, Any], Body()], dryRun: str | None = None) -> dict[str, Any]:  # noqa: N803
        location_type, target = body.get("type"), body.get("target")
        if not isinstance(location_type, str) or not isinstance(target, str) or not target:
            raise InputError("Malformed request: give {type, target}, e.g. {type: url, target: https://...}")
        return catalog.add_location(location_type, target, dry_run=(dryRun or "").lower() == "true")

    @router.get("/locations")
    def list_locations() -> list[dict[str, Any]]:
        return [{"data": location} for location in catalog.locations()]

    @router.get("/locations/by-entity/{kind}/{namespace}/{name}")
    def location_by_entity(kind: str, namespace: str, name: str) -> dict[str, Any]:
        return catalog.location_by_entity(kind, namespace, name)

    @router.get("/locations/{location_id}")
    def get_location(location_id: str) -> dict[str, Any]:
        return catalog.location(location_id)

    @router.delete("/locations/{location_id}", status_code=204)
    def delete_location(location_id: str) -> Response:
        catalog.delete_location(location_id)
        return Response(status_code=204)

    @router.post("/analyze-location")
    def analyze_location(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        location = body.get("location")
        if not isinstance(location, dict):
            raise InputError("Malformed request: location must be {type, target}")
        return catalog.analyze_location(location, body.get("catalogFileName"))

    return router
