"""One place that maps errors to HTTP statuses and Backstage's error body."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from callboard.core.errors import CallboardError

log = logging.getLogger("callboard.web")

_NAMES = {
    400: "InputError",
    401: "AuthenticationError",
    403: "NotAllowedError",
    404: "NotFoundError",
    405: "NotAllowedError",
    409: "ConflictError",
    501: "NotImplementedError",
    503: "ServiceUnavailableError",
}


def error_body(request: Request, status: int, name: str, message: str) -> JSONResponse:
    url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return JSONResponse(
        {
            "error": {"name": name, "message": message},
            "request": {"method": request.method, "url": url},
            "response": {"statusCode": status},
        },
        status_code=status,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CallboardError)
    async def _known(request: Request, error: CallboardError) -> JSONResponse:
        return error_body(request, error.status, error.name, error.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors())
        return error_body(request, 400, "InputError", f"Malformed request: {problems}")

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> JSONResponse:
        return error_body(request, error.status_code, _NAMES.get(error.status_code, "Error"), str(error.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_body(request, 500, "Error", "Internal server error; see the server log")
