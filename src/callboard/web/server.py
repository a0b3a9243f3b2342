"""The ASGI application: routers, error handling, health endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from callboard import __version__
from callboard.catalog.service import CatalogService
from callboard.web.api.catalog import catalog_router
from callboard.web.errors import install_error_handlers
from callboard.web.home import home_router


def build_web_app(catalog: CatalogService, *, title: str) -> FastAPI:
    # FastAPI's built-in docs pages load their scripts from a CDN; Callboard fetches nothing at run time, so
    # they are off (an API viewer built from npm packages comes with the portal's pages).
    app = FastAPI(title=title, version=__version__, docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    install_error_handlers(app)
    app.include_router(catalog_router(catalog))
    app.include_router(home_router(catalog, title))

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
