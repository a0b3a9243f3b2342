"""The search page (``/search``): one box for entities and docs, with type and facet filters, highlighted
snippets and pages of results; and the header's suggestions while typing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from callboard.catalog.api import SecuredCatalog
from callboard.core.errors import NotFoundError
from callboard.search.api import CATALOG, POST_TAG, PRE_TAG, TECHDOCS, SearchRequest, SearchService
from callboard.web.api.search import search_request
from callboard.web.ui.rendering import Pages

TYPES = ((CATALOG, "Software catalog"), (TECHDOCS, "Documentation"))
FACET_LABELS = {"kind": "Kind", "owner": "Owner", "lifecycle": "Lifecycle"}
PAGE_SIZE = 20


def highlighted(text: str) -> Markup:
    """Search API text with its highlight tags turned into ``<mark>``, everything else escaped."""
    parts = []
    for index, piece in enumerate(text.split(PRE_TAG)):
        if index == 0:
            parts.append(str(escape(piece)))
            continue
        marked, _, rest = piece.partition(POST_TAG)
        parts.append(f"<mark>{escape(marked)}</mark>{escape(rest)}")
    return Markup("".join(parts))


def search_router(catalog: SecuredCatalog, search: SearchService | None, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/search", response_class=HTMLResponse)
    def search_page(request: Request) -> HTMLResponse:
        if search is None:
            raise NotFoundError("Search is not configured in this portal")
        wanted = search_request(request.query_params, term_key="query", default_limit=PAGE_SIZE)
        response = search.query(wanted, catalog.readable_filter())
        params: dict[str, Any] = {"query": wanted.term or None, "types[]": list(wanted.types)}
        for key, values in wanted.filters.items():
            params[f"filters[{key}]"] = list(values)
        facets = [
            {
                "key": key,
                "label": label,
                "values": [
                    {"value": value, "count": count, "selected": value in wanted.filters.get(key, ())}
                    for value, count in response.facets.get(key, [])
                ],
                "chosen": list(wanted.filters.get(key, ())),
            }
            for key, label in FACET_LABELS.items()
        ]
        return pages.render(
            request,
            "search.html",
            term=wanted.term,
            response=response,
            params=params,
            types=TYPES,
            chosen_types=wanted.types,
            type_counts=dict(response.facets.get("type", [])),
            facets=facets,
            highlighted=highlighted,
            first=response.offset + 1 if response.results else 0,
            last=response.offset + len(response.results),
        )

    @router.get("/ui/quick-jump", response_class=HTMLResponse)
    def quick_jump(request: Request, q: str = "", query: str = "") -> HTMLResponse:
        """Entities whose name starts with what is typed, then the best docs pages, then "search for…"."""
        q = q or query  # the header's box is named "query" so that Enter without script opens /search
        entities = catalog.quick_find(q, limit=6) if q.strip() else []
        docs = []
        if q.strip() and search is not None:
            docs = search.query(SearchRequest(term=q, types=(TECHDOCS,), limit=3), catalog.readable_filter()).results
        return pages.render(request, "quick_jump.html", q=q, entities=entities, docs=docs, highlighted=highlighted)

    return router
