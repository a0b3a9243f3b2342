"""Prometheus metrics: every request counted and timed by route and status, and ``GET /metrics`` to scrape.

Requests are labelled by the route's template (``/api/catalog/entities/by-name/{kind}/{namespace}/{name}``),
never by the path people typed, so the number of series stays bounded whatever is requested; a path no route
serves is ``<unmatched>``. ``/metrics`` needs an identity like every other route: Prometheus sends a service
token (``backend.auth.externalAccess``) as a bearer token.
"""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "<unmatched>"

#: Seconds; from a cached page (a few ms) to a slow proxied vendor call.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def route_template(scope: Scope) -> str:
    """The pattern of the route that served the request (FastAPI's routes name themselves in the scope; a plain
    Starlette route, such as the proxy's, is found by its endpoint), or ``<unmatched>``."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", UNMATCHED))
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for candidate in getattr(scope.get("router"), "routes", ()):
            if getattr(candidate, "endpoint", None) is endpoint:
                return str(candidate.path)
    return UNMATCHED


class RequestMetrics:
    """Plain ASGI middleware (no buffering): observes each HTTP request when the app is done with it."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "callboard_http_requests",
            "HTTP requests answered, by method, route template and status",
            ("method", "route", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            "callboard_http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route template",
            ("method", "route"),
            buckets=BUCKETS,
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app raises before starting a response

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            route = route_template(scope)
            method = str(scope.get("method", ""))
            self.requests.labels(method, route, str(status)).inc()
            self.latency.labels(method, route).observe(time.perf_counter() - started)


def metrics_router(registry: CollectorRegistry) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
