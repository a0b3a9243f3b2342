"""``GET /api/search/query``: Backstage's search API (term, types, filters, pageCursor, pageLimit)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams

from callboard.catalog.api import SecuredCatalog
from callboard.core.errors import InputError
from callboard.search.api import MAX_PAGE, MAX_TERM, POST_TAG, PRE_TAG, SearchRequest, SearchResponse, SearchService

#: ``filters[kind]``, ``filters[kind][]`` and ``filters[kind][0]`` (how qs writes arrays) all name ``kind``.
_FILTER = re.compile(r"^filters\[([^\]]+)\](?:\[\d*\])?$")


#: Backstage's query parameters, documented (the route reads them from the query string as qs writes them).
SEARCH_PARAMETERS = [
    {
        "name": "term",
        "in": "query",
        "schema": {"type": "string", "maxLength": MAX_TERM},
        "description": "Words to find.",
    },
    {
        "name": "types",
        "in": "query",
        "schema": {"type": "array", "items": {"type": "string", "maxLength": 100}, "maxItems": 10},
        "description": "Result types: software-catalog, techdocs (also types[]).",
    },
    {
        "name": "pageLimit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
    },
    {"name": "pageCursor", "in": "query", "schema": {"type": "string"}, "description": "nextPageCursor of a page."},
]


def search_request(params: QueryParams, *, term_key: str = "term", default_limit: int = 25) -> SearchRequest:
    types = [*params.getlist("types[]"), *params.getlist("types")]
    types += [value for key, value in params.multi_items() if re.fullmatch(r"types\[\d+\]", key)]
    filters: dict[str, list[str]] = {}
    for key, value in params.multi_items():
        found = _FILTER.match(key)
        if found and value:
            filters.setdefault(found.group(1), []).append(value)
    limit_text = params.get("pageLimit")
    try:
        limit = int(limit_text) if limit_text is not None else default_limit
    except ValueError:
        raise InputError(f"pageLimit must be a whole number, not {str(limit_text)[:40]!r}") from None
    term = params.get(term_key, "")
    if len(term) > MAX_TERM:
        raise InputError(f"The search term is {len(term)} characters long; give at most {MAX_TERM}")
    if len(types) > 10 or any(len(value) > 100 for value in types):
        raise InputError("Give at most 10 result types (types[]) of at most 100 characters")
    return SearchRequest(
        term=term,
        types=tuple(dict.fromkeys(value for value in types if value)),
        filters={key: tuple(values) for key, values in filters.items()},
        cursor=params.get("pageCursor") or None,
        limit=limit,
    )


def response_json(response: SearchResponse) -> dict[str, Any]:
    body: dict[str, Any] = {
        "results": [
            {
                "type": result.type,
                "document": result.document,
                "highlight": {"preTag": PRE_TAG, "postTag": POST_TAG, "fields": result.highlight},
                "rank": result.rank,
            }
            for result in response.results
        ],
        "numberOfResults": response.total,
    }
    if response.next_cursor:
        body["nextPageCursor"] = response.next_cursor
    if response.previous_cursor:
        body["previousPageCursor"] = response.previous_cursor
    return body


def search_router(catalog: SecuredCatalog, search: SearchService) -> APIRouter:
    router = APIRouter(prefix="/api/search", tags=["search"])

    @router.get("/query", openapi_extra={"parameters": SEARCH_PARAMETERS})
    def query(request: Request) -> dict[str, Any]:
        """Search entities and docs; only what the caller may read is returned."""
        response = search.query(search_request(request.query_params), catalog.readable_filter())
        return response_json(response)

    return router
