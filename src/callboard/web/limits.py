"""Request bodies bounded before any handler reads them: by ``Content-Length`` at once, and by a running count
of what arrives otherwise, so neither a large body nor a lying header can hold memory or a worker.

The limit depends on the route family: the proxy, the validation routes (which take whole descriptor files
and template folders) and everything else.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callboard.core.limits import RequestLimits

_VALIDATE_PATHS = (
    "/api/catalog/validate-entity",
    "/api/catalog/analyze-location",
    "/api/scaffolder/v2/dry-run",
)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` past the limit. An HTTPException, so that FastAPI's body parsing passes it on
    (it turns other errors into a 400) and the error handlers answer it in Backstage's shape."""

    def __init__(self, limit: int, key: str) -> None:
        super().__init__(413, f"Request bodies here are limited to {limit} bytes ({key})")


def body_limit(path: str, limits: RequestLimits) -> tuple[int, str]:
    """The byte limit for a path, and the config key that sets it."""
    if path.startswith("/api/proxy/"):
        return limits.proxy_body_bytes, "backend.limits.requestBody.proxy"
    if path in _VALIDATE_PATHS:
        return limits.validate_body_bytes, "backend.limits.requestBody.validate"
    return limits.api_body_bytes, "backend.limits.requestBody.api"


class RequestBodyLimit:
    """Pure ASGI: a 413 in Backstage's error shape, sent before the application has read past the limit."""

    def __init__(self, app: ASGIApp, limits: RequestLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        limit, key = body_limit(path, self.limits)
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None:
            text = declared.decode("latin-1").strip()
            if not text.isdigit():
                await _refuse(
                    send, 400, "InputError", f"Content-Length {text!r} is not a number of bytes", path, method
                )
                return
            if int(text) > limit:
                message = f"Request bodies here are limited to {limit} bytes ({key}); this one declares {text}"
                await _refuse(send, 413, "PayloadTooLargeError", message, path, method)
                return
        received = 0
        started = exceeded = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit, key)
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if exceeded:
                    # The rest of the body stays unread, so the connection cannot carry another request;
                    # closing it also stops the client sending.
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, counted, tracking)
        except BodyTooLarge as error:
            # Only reached from parts that let the exception through the error handlers (plain ASGI apps).
            if not started:
                await _refuse(send, 413, "PayloadTooLargeError", str(error.detail), path, method)


async def _refuse(send: Send, status: int, name: str, message: str, path: str, method: str) -> None:
    body = json.dumps(
        {
            "error": {"name": name, "message": message},
            "request": {"method": method, "url": path},
            "response": {"statusCode": status},
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            # The rest of the body is not read: the connection cannot be reused.
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
