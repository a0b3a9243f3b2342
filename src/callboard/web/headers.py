"""Middlewares that add response headers, as plain ASGI (no ``BaseHTTPMiddleware``: it buffers nothing here,
costs less per request, and lets exceptions through as they are)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]


class ResponseHeaders:
    """Calls :meth:`extra` with the response's headers when it starts; what it returns is added."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def extra(self, scope: Scope, started: float, headers: Headers) -> Headers:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def adding(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                added = self.extra(scope, started, headers)
                if added:
                    message = {**message, "headers": headers + added}
            await send(message)

        await self.app(scope, receive, adding)


class ServerTiming(ResponseHeaders):
    """How long the server spent before answering, in the standard header browsers' developer tools show."""

    def extra(self, scope: Scope, started: float, headers: Headers) -> Headers:
        return [(b"server-timing", f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode())]
