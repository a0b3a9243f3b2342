"""The streaming reverse proxy behind ``/api/proxy/<endpoint>/...``.

Safe by default: the caller needs an identity and the ``proxy.<endpoint>`` permission; only the endpoint's
methods pass (GET and HEAD unless configured); only safe headers pass either way, so the caller's cookie
and token never reach the upstream (unless ``credentials: forward``) and the upstream's cookies never reach
the caller; no path can leave the target; bodies are streamed within time and size limits; configured
header values never appear in responses or logs; every call is audited.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from urllib.parse import unquote

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from callboard.core.audit import AuditSink
from callboard.core.identity import Identity
from callboard.core.permissions import Decision, proxy_permission
from callboard.proxy.endpoints import HOP_BY_HOP, Endpoint

MAX_REQUEST_BYTES = 10 * 1024 * 1024


class ProxyError(Exception):
    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(message)
        self.status, self.name, self.message = status, name, message


def _error(request: Request, error: ProxyError) -> JSONResponse:
    return JSONResponse(
        {
            "error": {"name": error.name, "message": error.message},
            "request": {"method": request.method, "url": request.url.path},
            "response": {"statusCode": error.status},
        },
        status_code=error.status,
    )


def safe_remainder(raw_path: str, prefix: str) -> str:
    """The path below the endpoint, refused when it could step outside the target in any encoding."""
    rest = raw_path[len(prefix) :]
    if rest and not rest.startswith("/"):
        raise ProxyError(404, "NotFoundError", "No such proxy endpoint")
    decoded = rest
    for _ in range(3):  # %252e%252e decodes twice to ..
        decoded = unquote(decoded)
    segments = decoded.replace("\\", "/").split("/")
    if any(segment in ("..", ".") for segment in segments) or "\\" in decoded or "\x00" in decoded:
        raise ProxyError(400, "InputError", "The path may not contain '.', '..' or backslashes")
    if decoded.startswith("//") or re.match(r"^/*[A-Za-z][A-Za-z0-9+.-]*:", decoded):
        raise ProxyError(400, "InputError", "The path may not be an absolute URL")
    return rest or "/"


class ProxyHandler:
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

    async def __call__(self, request: Request) -> Response:
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
                raise ProxyError(405, "NotAllowedError", f"{request.method} is not allowed here (allowed: {allowed})")
            if identity.signed_in:
                decision = self._decide(proxy_permission(endpoint.name))
                if decision.result != "allow":
                    raise ProxyError(
                        403, "NotAllowedError", f"{identity.subject} may not use {proxy_permission(endpoint.name)}"
                    )
            elif endpoint.credentials != "dangerously-allow-unauthenticated":
                raise ProxyError(401, "AuthenticationError", "Missing credentials")
            rest = safe_remainder(raw_path, endpoint.prefix)
            for pattern, replacement in endpoint.path_rewrite:
                rest = re.sub(pattern, replacement, rest)
                if not rest.startswith("/"):
                    rest = "/" + rest
            url = endpoint.target + rest + (f"?{request.url.query}" if request.url.query else "")
            return await self._forward(request, endpoint, url, identity, started)
        except ProxyError as error:
            self._audit.record(
                identity.subject or "anonymous",
                "proxy.request",
                target,
                method=request.method,
                status=error.status,
                size=0,
                duration_ms=(time.perf_counter() - started) * 1000,
                details={"path": request.url.path, "refused": error.message},
            )
            return _error(request, error)

    async def _forward(
        self, request: Request, endpoint: Endpoint, url: str, identity: Identity, started: float
    ) -> Response:
        passing = endpoint.request_headers()
        headers = {key: value for key, value in request.headers.items() if key.lower() in passing}
        headers.update(endpoint.headers)
        if not endpoint.change_origin:
            headers["host"] = request.headers.get("host", "")
        body = b""
        if request.method not in ("GET", "HEAD"):
            body = await request.body()
            if len(body) > MAX_REQUEST_BYTES:
                raise ProxyError(413, "InputError", f"Request bodies are limited to {MAX_REQUEST_BYTES} bytes")
        client = httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(endpoint.timeout_seconds, connect=min(10.0, endpoint.timeout_seconds)),
            follow_redirects=False,
        )
        try:
            upstream = await client.send(
                client.build_request(request.method, url, headers=headers, content=body), stream=True
            )
        except httpx.TimeoutException:
            await client.aclose()
            raise ProxyError(
                504, "ServiceUnavailableError", f"proxy.{endpoint.name}: the upstream did not answer in time"
            ) from None
        except httpx.HTTPError as error:
            await client.aclose()
            raise ProxyError(
                502,
                "ServiceUnavailableError",
                f"proxy.{endpoint.name}: the upstream could not be reached ({type(error).__name__})",
            ) from None
        declared = upstream.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > endpoint.max_response_bytes:
            await upstream.aclose()
            await client.aclose()
            raise ProxyError(
                502, "ServiceUnavailableError", f"proxy.{endpoint.name}: the response is larger than allowed"
            )
        allowed = endpoint.response_headers()
        response_headers = {
            key: value
            for key, value in upstream.headers.items()
            if key.lower() in allowed and key.lower() not in HOP_BY_HOP
        }
        sent = 0

        async def body_stream() -> AsyncIterator[bytes]:
            nonlocal sent
            try:
                async for chunk in upstream.aiter_raw():
                    sent += len(chunk)
                    if sent > endpoint.max_response_bytes:
                        break  # the caller gets a truncated body rather than an unbounded one
                    yield chunk
            finally:
                await upstream.aclose()
                await client.aclose()
                self._audit.record(
                    identity.subject or "anonymous",
                    "proxy.request",
                    f"proxy.{endpoint.name}",
                    method=request.method,
                    status=upstream.status_code,
                    size=sent,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    details={"path": request.url.path},
                )

        if "content-encoding" in upstream.headers:
            response_headers["content-encoding"] = upstream.headers["content-encoding"]
        return StreamingResponse(body_stream(), status_code=upstream.status_code, headers=response_headers)
