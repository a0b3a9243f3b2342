"""The catalog's problems in one place: entities that fail processing, conflicts, and orphans."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from callboard.catalog.api import SecuredCatalog
from callboard.web.ui.rendering import Pages


def problems_router(catalog: SecuredCatalog, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/catalog-problems", response_class=HTMLResponse)
    def problems_page(request: Request) -> HTMLResponse:
        found = catalog.problems()
        return pages.render(request, "problems.html", **found, status=catalog.status())

    return router
