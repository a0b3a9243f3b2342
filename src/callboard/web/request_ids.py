"""Every request gets an id: the caller's ``X-Request-Id`` when it sends a sensible one (a load balancer's),
otherwise a new one. It is in the response's ``X-Request-Id`` header and in every log line written while
serving the request, and one access line per request records method, route, status and time."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callboard.core.request_context import request_id
from callboard.web.metrics import route_template

log = logging.getLogger("callboard.access")
_SENSIBLE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), "")
        current = given if _SENSIBLE.match(given) else uuid.uuid4().hex
        token = request_id.set(current)
        started, status = time.perf_counter(), 500

        async def tagging(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", current.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, tagging)
        finally:
            route = route_template(scope)
            log.info(
                "%s %s %s %.1f ms",
                scope.get("method"),
                route,
                status,
                (time.perf_counter() - started) * 1000,
                extra={"method": scope.get("method"), "route": route, "status": status},
            )
            request_id.reset(token)
