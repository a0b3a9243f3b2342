"""The signed-in person's own page (the top bar's name), and the page that explains the REST API (the sidebar's API)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callboard.catalog.api import SecuredCatalog
from callboard.core.identity import Identity
from callboard.web.auth import identity_of
from callboard.web.ui.rendering import Pages, entity_href

#: The APIs people come for, in the order they are asked about, with what each is for.
API_GROUPS: Mapping[str, str] = {
    "catalog": "Entities, locations, facets and validation; the same routes and shapes as Backstage's catalog API.",
    "search": "Full-text search over the catalog, documentation and plugins (Backstage's search query API).",
    "scaffolder": "Templates, tasks and their event streams; runs and dry runs (Backstage's scaffolder API).",
    "techdocs": "Built documentation, its metadata and rebuilds (Backstage's TechDocs backend routes).",
    "auth": "The session of a signed-in browser, which also gives a token for scripts.",
}


def api_groups(openapi: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Routes of the OpenAPI document by their first segment after /api: the known APIs first, then plugins'."""
    counts: dict[str, int] = {}
    for path in openapi.get("paths") or {}:
        parts = str(path).split("/")
        if len(parts) > 2 and parts[1] == "api":
            counts[parts[2]] = counts.get(parts[2], 0) + 1
    known = [name for name in API_GROUPS if name in counts]
    others = sorted(name for name in counts if name not in API_GROUPS)
    return [
        {"name": name, "routes": counts[name], "about": API_GROUPS.get(name, "Added by a plugin.")}
        for name in known + others
    ]


def profile_router(catalog: SecuredCatalog, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/me", response_class=HTMLResponse)
    def my_page(request: Request) -> Response:
        """A user with an entity in the catalog goes to it; anyone else (the guest, a service) gets a profile."""
        identity: Identity = identity_of(request)
        own = catalog.entity_map([identity.subject]) if identity.type == "user" else {}
        if own:
            return RedirectResponse(entity_href(identity.subject), status_code=303)
        groups = [ref for ref in identity.ownership if ref.lower() != identity.subject.lower()]
        return pages.render(request, "profile.html", me=identity, groups=groups, found=catalog.entity_map(groups))

    @router.get("/api-docs", response_class=HTMLResponse)
    def api_page(request: Request) -> HTMLResponse:
        base = str(request.base_url).rstrip("/")
        return pages.render(request, "api_docs.html", groups=api_groups(request.app.openapi()), base=base)

    return router
