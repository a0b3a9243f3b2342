"""The streaming reverse proxy behind ``/api/proxy/<endpoint>/...``.

Safe by default: the caller needs an identity and the ``proxy.<endpoint>`` permission; only the endpoint's
methods pass (GET and HEAD unless configured); only safe headers pass either way, so the caller's cookie
and token never reach the upstream (unless ``credentials: forward``) and the upstream's cookies never reach
the caller; no path can leave the target; ``timeoutSeconds`` is a deadline for the whole exchange; bodies
are bounded both ways; configured header values never appear in responses or logs; every call is audited.

Request bodies are bounded before they reach this handler (the request-size limits of the web layer), so
reading one here cannot exhaust memory.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from callboard.core.audit import AuditSink
from callboard.core.identity import Identity
from callboard.core.permissions import Decision, proxy_permission
from callboard.proxy.endpoints import HOP_BY_HOP, Endpoint
from callboard.proxy.paths import PathRefused, safe_remainder

#: Bytes read from the upstream before answering: a response that ends within them is answered whole (with
#: its status, or a 504 if the deadline passes first); a longer one is streamed, and cut off at the deadline.
PREFETCH_BYTES = 256 * 1024


class ProxyError(Exception):
    def __init__(self, status: int, name: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.name, self.message = status, name, message
        self.headers = headers or {}


class StreamAborted(Exception):
    """The upstream's body broke a limit after its first bytes were sent: the connection is closed unfinished,
    so the caller sees a broken transfer rather than a body that looks complete."""


def _error(request: Request, error: ProxyError) -> JSONResponse:
    return JSONResponse(
        {
            "error": {"name": error.name, "message": error.message},
            "request": {"method": request.method, "url": request.url.path},
            "response": {"statusCode": error.status},
        },
        status_code=error.status,
        headers=error.headers,
    )


def upstream_headers(raw: Sequence[tuple[bytes, bytes]], endpoint: Endpoint) -> list[tuple[str, str]]:
    """The headers sent upstream: the caller's safe ones, then exactly the endpoint's configured ones.

    Names are compared without regard to case and every duplicate is looked at, so no spelling of
    ``Authorization`` can slip the caller's token past the configured credentials.
    """
    passing = endpoint.request_headers()
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in raw
        if name.decode("latin-1").lower() in passing
    ]
    if endpoint.credentials == "forward" and not any(name.lower() == "authorization" for name in endpoint.headers):
        # The one token the caller was identified by (the last Authorization header, as the sign-in check reads).
        bearer = [value for name, value in raw if name.lower() == b"authorization"]
        if bearer:
            headers.append(("authorization", bearer[-1].decode("latin-1")))
    headers.extend(endpoint.headers.items())
    return headers


@dataclass
class _Exchange:
    """One call in flight: what the audit row needs when it ends, however it ends."""

    request: Request
    identity: Identity
    endpoint: Endpoint
    started: float
    sent: int = 0


class ProxyHandler:
    """An ASGI app for ``/api/proxy/...``: it owns its responses, so a stream cut off mid-way closes the
    connection quietly instead of being reported as a server error."""

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        *,
        decide: Callable[[str], Decision],
        identity: Callable[[Request], Identity],
        audit: AuditSink,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        # Longest route first, so /github/enterprise wins over /github.
        self.endpoints = sorted(endpoints, key=lambda endpoint: -len(endpoint.name))
        self._decide = decide
        self._identity = identity
        self._audit = audit
        self._transport = transport

    def unauthenticated(self, path: str) -> bool:
        """Paths of endpoints configured ``dangerously-allow-unauthenticated`` (the auth middleware asks)."""
        endpoint = self._match(path)
        return endpoint is not None and endpoint.credentials == "dangerously-allow-unauthenticated"

    def _match(self, path: str) -> Endpoint | None:
        for endpoint in self.endpoints:
            if path == endpoint.prefix or path.startswith(endpoint.prefix + "/"):
                return endpoint
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        try:
            await response(scope, receive, send)
        except StreamAborted:
            return

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        identity = self._identity(request)
        raw_path = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or request.url.path
        endpoint = self._match(unquote(raw_path)) or self._match(raw_path)
        target = raw_path
        try:
            if endpoint is None:
                raise ProxyError(404, "NotFoundError", f"No proxy endpoint serves {request.url.path}")
            target = f"proxy.{endpoint.name}"
            if request.method not in endpoint.allowed_methods:
                allowed = ", ".join(sorted(endpoint.allowed_methods))
                raise ProxyError(
                    405,
                    "NotAllowedError",
                    f"{request.method} is not allowed here (allowed: {allowed})",
                    {"Allow": allowed},
                )
            if identity.signed_in:
                decision = self._decide(proxy_permission(endpoint.name))
                if decision.result != "allow":
                    raise ProxyError(
                        403, "NotAllowedError", f"{identity.subject} may not use {proxy_permission(endpoint.name)}"
                    )
            elif endpoint.credentials != "dangerously-allow-unauthenticated":
                raise ProxyError(401, "AuthenticationError", "Missing credentials")
            try:
                rest = safe_remainder(raw_path, endpoint.prefix)
            except PathRefused as refused:
                raise ProxyError(400, "InputError", str(refused)) from None
            for pattern, replacement in endpoint.path_rewrite:
                rest = re.sub(pattern, replacement, rest)
                if not rest.startswith("/"):
                    rest = "/" + rest
            url = endpoint.target + rest + (f"?{request.url.query}" if request.url.query else "")
            return await self._forward(_Exchange(request, identity, endpoint, started), url)
        except ProxyError as error:
            self._record(request, identity, target, error.status, 0, started, refused=error.message)
            return _error(request, error)

    def _record(
        self,
        request: Request,
        identity: Identity,
        target: str,
        status: int,
        size: int,
        started: float,
        *,
        refused: str | None = None,
    ) -> None:
        details: dict[str, object] = {"path": request.url.path}
        if refused is not None:
            details["refused"] = refused
        self._audit.record(
            identity.subject or "anonymous",
            "proxy.request",
            target,
            method=request.method,
            status=status,
            size=size,
            duration_ms=(time.perf_counter() - started) * 1000,
            details=details,
        )

    async def _forward(self, exchange: _Exchange, url: str) -> Response:
        request, endpoint = exchange.request, exchange.endpoint
        loop = asyncio.get_running_loop()
        deadline = loop.time() + endpoint.timeout_seconds
        late = f"proxy.{endpoint.name}: the upstream did not answer within the {endpoint.timeout_seconds:g} s deadline"
        headers = upstream_headers(request.scope["headers"], endpoint)
        if not endpoint.change_origin:
            headers.append(("host", request.headers.get("host", "")))
        body = b"" if request.method in ("GET", "HEAD") else await request.body()
        client = httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(endpoint.timeout_seconds, connect=min(10.0, endpoint.timeout_seconds)),
            follow_redirects=False,
        )
        upstream: httpx.Response | None = None
        try:
            async with asyncio.timeout_at(deadline):
                upstream = await client.send(
                    client.build_request(request.method, url, headers=headers, content=body), stream=True
                )
                self._check_declared_size(upstream, endpoint)
                chunks = upstream.aiter_raw().__aiter__()
                head, complete = await _prefetch(chunks, min(PREFETCH_BYTES, endpoint.max_response_bytes + 1))
        except (TimeoutError, httpx.TimeoutException):
            await _close(upstream, client)
            raise ProxyError(504, "ServiceUnavailableError", f"{late} (deadline exceeded)") from None
        except httpx.HTTPError as error:
            await _close(upstream, client)
            raise ProxyError(
                502,
                "ServiceUnavailableError",
                f"proxy.{endpoint.name}: the upstream could not be reached ({type(error).__name__})",
            ) from None
        except ProxyError:
            await _close(upstream, client)
            raise
        if len(head) > endpoint.max_response_bytes:
            await _close(upstream, client)
            raise ProxyError(
                502, "ServiceUnavailableError", f"proxy.{endpoint.name}: the response is larger than allowed"
            )
        allowed = endpoint.response_headers()
        response_headers = {
            key: value
            for key, value in upstream.headers.items()
            if key.lower() in allowed and key.lower() not in HOP_BY_HOP
        }
        if "content-encoding" in upstream.headers:
            response_headers["content-encoding"] = upstream.headers["content-encoding"]
        if complete:
            await _close(upstream, client)
            self._record(
                request, exchange.identity, f"proxy.{endpoint.name}", upstream.status_code, len(head), exchange.started
            )
            return Response(head, status_code=upstream.status_code, headers=response_headers)
        exchange.sent = len(head)
        return StreamingResponse(
            self._rest(exchange, upstream, client, head, chunks, deadline),
            status_code=upstream.status_code,
            headers=response_headers,
        )

    @staticmethod
    def _check_declared_size(upstream: httpx.Response, endpoint: Endpoint) -> None:
        declared = upstream.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > endpoint.max_response_bytes:
            raise ProxyError(
                502, "ServiceUnavailableError", f"proxy.{endpoint.name}: the response is larger than allowed"
            )

    async def _rest(
        self,
        exchange: _Exchange,
        upstream: httpx.Response,
        client: httpx.AsyncClient,
        head: bytes,
        chunks: AsyncIterator[bytes],
        deadline: float,
    ) -> AsyncIterator[bytes]:
        endpoint = exchange.endpoint
        refused: str | None = None
        try:
            yield head
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
                except (TimeoutError, httpx.TimeoutException):
                    refused = f"deadline of {endpoint.timeout_seconds:g} s exceeded while streaming the response"
                    raise StreamAborted(refused) from None
                except httpx.HTTPError as error:
                    refused = f"the upstream broke off the response ({type(error).__name__})"
                    raise StreamAborted(refused) from None
                exchange.sent += len(chunk)
                if exchange.sent > endpoint.max_response_bytes:
                    refused = f"the response grew past maxResponseBytes ({endpoint.max_response_bytes})"
                    raise StreamAborted(refused)
                yield chunk
        finally:
            await _close(upstream, client)
            self._record(
                exchange.request,
                exchange.identity,
                f"proxy.{endpoint.name}",
                upstream.status_code if refused is None else 504,
                exchange.sent,
                exchange.started,
                refused=refused,
            )


async def _prefetch(chunks: AsyncIterator[bytes], limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the body, and whether that was all of it."""
    buffered = bytearray()
    while len(buffered) < limit:
        try:
            buffered += await anext(chunks)
        except StopAsyncIteration:
            return bytes(buffered), True
    return bytes(buffered), False


async def _close(upstream: httpx.Response | None, client: httpx.AsyncClient) -> None:
    if upstream is not None:
        await upstream.aclose()
    await client.aclose()
