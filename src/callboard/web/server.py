"""The ASGI application: identity on every request, API routers, the proxy, the portal's pages, health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.routing import Route

from callboard import __version__
from callboard.auth.audit import AuditLog
from callboard.auth.service import AuthService
from callboard.catalog.secured import SecuredCatalog
from callboard.core.extensions import EntityCard, EntityTab, NavItem
from callboard.core.limits import RequestLimits
from callboard.proxy.endpoints import Endpoint
from callboard.proxy.handler import ProxyHandler
from callboard.web.api.catalog import catalog_router
from callboard.web.api.scaffolder import scaffolder_router
from callboard.web.api.search import search_router
from callboard.web.auth import AuthMiddleware, auth_router, current_access, identity_of
from callboard.web.errors import install_error_handlers
from callboard.web.headers import ServerTiming
from callboard.web.limits import RequestBodyLimit
from callboard.web.openapi import install_openapi
from callboard.web.ui import install_portal
from callboard.web.ui.audit_page import audit_router


@dataclass
class WebParts:
    """What the web app is built from (assembled by ``app.py``)."""

    catalog: SecuredCatalog
    auth: AuthService
    audit: AuditLog
    title: str
    base_url: str
    proxy_endpoints: Sequence[Endpoint] = ()
    cards: Sequence[EntityCard] = ()
    tabs: Sequence[EntityTab] = ()
    nav: Sequence[NavItem] = ()
    scaffolder: Any = None  # ScaffolderService
    tasks: Any = None  # TaskService
    techdocs: Any = None  # TechDocsService
    search: Any = None  # SearchService
    proxy_transport: Any = None
    limits: RequestLimits = field(default_factory=RequestLimits)
    extra: dict[str, Any] = field(default_factory=dict)


def build_web_app(parts: WebParts) -> FastAPI:
    # FastAPI's built-in docs pages load their scripts from a CDN; Callboard fetches nothing at run time, so
    # they are off (API entities get a viewer built from npm packages on their Definition tab).
    app = FastAPI(
        title=parts.title, version=__version__, docs_url=None, redoc_url=None, openapi_url="/api/openapi.json"
    )
    secure = parts.base_url.startswith("https://")
    proxy = ProxyHandler(
        parts.proxy_endpoints,
        decide=lambda permission: current_access().decide(permission),
        identity=identity_of,
        audit=parts.audit,
        transport=parts.proxy_transport,
    )
    app.include_router(catalog_router(parts.catalog, parts.limits))
    if parts.scaffolder is not None and parts.tasks is not None:
        app.include_router(scaffolder_router(parts.catalog, parts.scaffolder, parts.tasks, parts.limits))
    if parts.search is not None:
        app.include_router(search_router(parts.catalog, parts.search))
    # The proxy is an ASGI app of its own: it answers every method itself (405 with Allow for the ones an
    # endpoint does not take) and owns its streamed responses.
    app.router.routes.append(Route("/api/proxy/{rest:path}", endpoint=proxy, include_in_schema=False))
    pages = install_portal(
        app,
        parts.catalog,
        title=parts.title,
        cards=parts.cards,
        tabs=parts.tabs,
        nav=parts.nav,
        scaffolder=parts.scaffolder,
        tasks=parts.tasks,
        services={
            name: service for name, service in (("techdocs", parts.techdocs), ("search", parts.search)) if service
        },
    )
    app.include_router(auth_router(parts.auth, pages.render, base_url=parts.base_url, secure=secure))
    app.include_router(audit_router(parts.audit, pages))

    def error_page(request: Request, status: int, name: str, message: str) -> HTMLResponse:
        return pages.render(request, "error.html", status_code=status, status=status, name=name, message=message)

    install_error_handlers(app, error_page)
    install_openapi(app)

    @app.get("/api/catalog/openapi.json", include_in_schema=False)
    def catalog_openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/.backstage/health/v1/liveness", tags=["health"])
    def liveness() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/.backstage/health/v1/readiness", tags=["health"])
    def readiness() -> dict[str, Any]:
        return {"status": "ok", "catalog": parts.catalog.status()}

    app.add_middleware(AuthMiddleware, auth=parts.auth, public=proxy.unauthenticated, secure=secure)
    app.add_middleware(ServerTiming)
    app.add_middleware(RequestBodyLimit, limits=parts.limits)
    return app
