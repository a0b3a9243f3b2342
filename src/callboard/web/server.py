"""The ASGI application: identity on every request, API routers, the proxy, the portal's pages, health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from prometheus_client import CollectorRegistry
from starlette.routing import Route

from callboard import __version__
from callboard.auth.api import AuditLog, AuthService, current_access
from callboard.catalog.api import SecuredCatalog
from callboard.core.extensions import EntityCard, EntityTab, NavItem
from callboard.core.limits import RequestLimits
from callboard.core.request_context import request_id
from callboard.plugins.backend import PluginRoutes, public_paths
from callboard.proxy.api import Endpoint, ProxyHandler
from callboard.web.api.catalog import catalog_router
from callboard.web.api.scaffolder import scaffolder_router
from callboard.web.api.search import search_router
from callboard.web.api.techdocs import techdocs_router
from callboard.web.auth import AuthMiddleware, auth_router, identity_of
from callboard.web.errors import install_error_handlers
from callboard.web.headers import ServerTiming
from callboard.web.limits import RequestBodyLimit
from callboard.web.metrics import RequestMetrics, metrics_router
from callboard.web.openapi import install_openapi
from callboard.web.plugins import mount_plugin_routes, plugin_templates
from callboard.web.request_ids import RequestIds
from callboard.web.ui import install_portal
from callboard.web.ui.admin_pages import admin_router
from callboard.web.ui.audit_page import audit_router
from callboard.web.ui.discovery_page import discovery_router

#: Threads that run the synchronous request handlers (database work). Python runs one thread at a time, and
#: with anyio's default of 40 a burst of requests made 40 threads and the event loop take turns at it, which
#: stretched every request; a few threads keep the database busy and the rest of the requests wait in line.
#: (Measured with 100 clients: 4 threads served 445-562 requests/s, 8 served 425 and 16 served 374.) Work
#: that waits on other services, such as plugin cards, has threads of its own (``ui.entity_page``).
REQUEST_THREADS = 4


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
    tasks: Any = None  # SecuredTasks: template runs as the current caller may see them
    techdocs: Any = None  # TechDocsService
    search: Any = None  # SearchService
    proxy_transport: Any = None
    limits: RequestLimits = field(default_factory=RequestLimits)
    plugin_routes: Mapping[str, PluginRoutes] = field(default_factory=dict)
    #: Receives the portal's page renderer once it exists (plugin pages render in the layout with it).
    on_pages: Callable[[Callable[..., HTMLResponse]], None] | None = None
    #: What /admin/plugins lists (``callboard.app_plugins.inventory``), and the scheduler /admin/tasks shows.
    plugin_inventory: Callable[[], Sequence[Any]] = lambda: ()
    #: A plugin's health checks run now (``callboard.app_plugins.run_health_checks``).
    plugin_health: Callable[[str], Sequence[Any]] = lambda plugin: ()
    #: Each discovery source's status for the Discovery page (``callboard.discovery.api.source_status``).
    discovery_status: Callable[[], Sequence[Any]] = lambda: ()
    scheduler: Any = None
    #: Threads for the synchronous request handlers (``REQUEST_THREADS`` unless the operator chose).
    request_threads: int = REQUEST_THREADS
    #: Awaited as the web app starts and stops, on its event loop (the database's async reads, say).
    on_start: Sequence[Callable[[], Awaitable[None]]] = ()
    on_stop: Sequence[Callable[[], Awaitable[None]]] = ()
    #: Plugins' home page cards, and people's stars and visits (``callboard.people.api.Marks``).
    home_cards: Sequence[Any] = ()
    marks: Any = None
    #: ``backend.csp``: changes to the pages' content policy (Backstage's key), e.g. img-src for avatars.
    csp: Mapping[str, Any] = field(default_factory=dict)
    #: What ``/metrics`` reports besides requests (``callboard.app_metrics``); None: no ``/metrics`` route.
    metrics: CollectorRegistry | None = None
    #: An OpenTelemetry tracer provider (``callboard.tracing``): each request becomes a span. None: no traces.
    tracer_provider: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def _lifespan(parts: WebParts) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = parts.request_threads
        for start in parts.on_start:
            await start()
        try:
            yield
        finally:
            for stop in parts.on_stop:
                await stop()

    return lifespan


def build_web_app(parts: WebParts) -> FastAPI:
    # FastAPI's built-in docs pages load their scripts from a CDN; Callboard fetches nothing at run time, so
    # they are off (API entities get a viewer built from npm packages on their Definition tab).
    app = FastAPI(
        title=parts.title,
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_lifespan(parts),
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
    if parts.techdocs is not None:
        app.include_router(techdocs_router(parts.catalog, parts.techdocs))
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
        plugin_templates=plugin_templates(parts.plugin_routes),
        home_cards=parts.home_cards,
        marks=parts.marks,
        csp=parts.csp,
    )
    mount_plugin_routes(app, parts.plugin_routes)
    if parts.on_pages is not None:
        parts.on_pages(pages.render)
    plugin_public = frozenset(
        path for plugin, routes in parts.plugin_routes.items() for path in public_paths(plugin, routes)
    )
    app.include_router(auth_router(parts.auth, pages.render, base_url=parts.base_url, secure=secure))
    app.include_router(audit_router(parts.audit, pages))
    app.include_router(admin_router(pages, parts.plugin_inventory, parts.scheduler, parts.plugin_health))
    app.include_router(discovery_router(parts.catalog, pages, parts.discovery_status))

    def error_page(request: Request, status: int, name: str, message: str) -> HTMLResponse:
        # A part of a page (a lazy card or tab, a button's answer) gets the error as a part, shown in its place.
        part = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
        template = "error_part.html" if part else "error.html"
        return pages.render(request, template, status_code=status, status=status, name=name, message=message)

    if parts.metrics is not None:
        app.include_router(metrics_router(parts.metrics))

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

    app.add_middleware(
        AuthMiddleware,
        auth=parts.auth,
        public=lambda path: path in plugin_public or proxy.unauthenticated(path),
        secure=secure,
    )
    app.add_middleware(ServerTiming)
    app.add_middleware(RequestBodyLimit, limits=parts.limits)
    if parts.metrics is not None:  # outside the limits: counts refused and oversized requests too
        app.add_middleware(RequestMetrics, registry=parts.metrics)
    if parts.tracer_provider is not None:
        # The tracing extra is installed when a provider exists (callboard.tracing).
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware  # noqa: PLC0415

        app.add_middleware(
            OpenTelemetryMiddleware,
            tracer_provider=parts.tracer_provider,
            default_span_details=_span_details,
            server_request_hook=_tag_request_id,
        )
    app.add_middleware(RequestIds)  # outermost: every line logged while serving a request carries its id
    return app


def _span_details(scope: Any) -> tuple[str, dict[str, Any]]:
    """Spans named ``GET /api/catalog/entities``: the path as asked, since routes are matched inside the span."""
    return f"{scope.get('method', 'HTTP')} {scope.get('path', '')}", {}


def _tag_request_id(span: Any, scope: Any) -> None:
    if span is not None and span.is_recording():
        span.set_attribute("callboard.request_id", request_id.get() or "")
