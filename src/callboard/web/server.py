"""The ASGI application: API routers, the portal's pages, error handling, health endpoints."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from callboard import __version__
from callboard.catalog.service import CatalogService
from callboard.core.extensions import EntityCard, EntityTab, NavItem
from callboard.web.api.catalog import catalog_router
from callboard.web.errors import install_error_handlers
from callboard.web.ui import install_portal


async def server_timing(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """How long the server spent on the request, in the standard header browsers' developer tools show."""
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def build_web_app(
    catalog: CatalogService,
    *,
    title: str,
    cards: Sequence[EntityCard] = (),
    tabs: Sequence[EntityTab] = (),
    nav: Sequence[NavItem] = (),
) -> FastAPI:
    # FastAPI's built-in docs pages load their scripts from a CDN; Callboard fetches nothing at run time, so
    # they are off (API entities get a viewer built from npm packages on their Definition tab).
    app = FastAPI(title=title, version=__version__, docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.middleware("http")(server_timing)
    app.include_router(catalog_router(catalog))
    pages = install_portal(app, catalog, title=title, cards=cards, tabs=tabs, nav=nav)

    def error_page(request: Request, status: int, name: str, message: str) -> HTMLResponse:
        return pages.render(request, "error.html", status_code=status, status=status, name=name, message=message)

    install_error_handlers(app, error_page)

    @app.get("/api/catalog/openapi.json", include_in_schema=False)
    def catalog_openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/.backstage/health/v1/liveness", tags=["health"])
    def liveness() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/.backstage/health/v1/readiness", tags=["health"])
    def readiness() -> dict[str, Any]:
        return {"status": "ok", "catalog": catalog.status()}

    return app
