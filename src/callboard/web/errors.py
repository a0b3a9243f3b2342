"""One place that maps errors to HTTP statuses and Backstage's error body."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from callboard.core.errors import CallboardError

log = logging.getLogger("callboard.web")

_NAMES = {
    400: "InputError",
    401: "AuthenticationError",
    403: "NotAllowedError",
    404: "NotFoundError",
    405: "NotAllowedError",
    409: "ConflictError",
    413: "PayloadTooLargeError",
    501: "NotImplementedError",
    503: "ServiceUnavailableError",
}


def error_body(
    request: Request, status: int, name: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return JSONResponse(
        {
            "error": {"name": name, "message": message},
            "request": {"method": request.method, "url": url},
            "response": {"statusCode": status},
        },
        status_code=status,
        headers=headers,
    )


#: Renders an error as a page for people: (request, status, error name, message) → response.
HtmlErrorPage = Callable[[Request, int, str, str], Response]


def wants_page(request: Request) -> bool:
    """A browser navigating to a portal page (not an API client, not an htmx fragment request)."""
    path = request.url.path
    if path.startswith(("/api/", "/.backstage/")):
        return False
    return "text/html" in request.headers.get("accept", "") or request.headers.get("HX-Request") == "true"


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the request's path answers."""
    scope = {**request.scope, "method": "GET"}
    methods: set[str] = set()
    for route in _leaf_routes(request.app.router.routes):
        if route.matches(scope)[0] is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _leaf_routes(routes: Iterable[Any]) -> Iterator[Any]:
    # FastAPI wraps an included router's routes (which carry their full paths) in one entry.
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        else:
            yield route


def install_error_handlers(app: FastAPI, html_page: HtmlErrorPage | None = None) -> None:
    def respond(
        request: Request, status: int, name: str, message: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        if html_page is not None and wants_page(request):
            response = html_page(request, status, name, message)
            response.headers.update(headers or {})
            return response
        return error_body(request, status, name, message, headers)

    @app.exception_handler(CallboardError)
    async def _known(request: Request, error: CallboardError) -> Response:
        return respond(request, error.status, error.name, error.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors())
        return respond(request, 400, "InputError", f"Malformed request: {problems}")

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> Response:
        message = str(error.detail)
        headers = error.headers
        if error.status_code == 405:
            # Starlette names the methods of the first route matching the path; a path can have several.
            allowed = ", ".join(allowed_methods(request))
            headers = {**(headers or {}), "Allow": allowed}
            message = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
        name = _NAMES.get(error.status_code, "Error")
        return respond(request, error.status_code, name, message, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, 500, "Error", "Internal server error; see the server log")
