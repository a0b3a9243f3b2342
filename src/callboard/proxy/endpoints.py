"""``proxy.endpoints`` in app-config, in Backstage's format, with Callboard's safer defaults.

```yaml
proxy:
  endpoints:
    /pagerduty:
      target: https://api.pagerduty.com
      headers: {Authorization: "Token token=${PAGERDUTY_TOKEN}"}
      allowedMethods: [GET]           # default GET and HEAD
      allowedHeaders: [X-Request-Id]  # extra headers passed both ways
      credentials: require            # require | forward | dangerously-allow-unauthenticated
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

#: Request and response headers that may pass (Backstage's list); everything else is dropped.
SAFE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
        "accept",
        "accept-language",
        "user-agent",
        "etag",
        "if-none-match",
        "if-modified-since",
    }
)
#: Never forwarded in either direction, whatever the configuration says (RFC 9110 hop-by-hop and friends).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)

#: The portal's own credentials: never taken from the caller's request, whatever ``allowedHeaders`` says
#: (``credentials: forward`` passes the caller's bearer token, and only that).
CALLER_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization", "x-csrf-token"})

Credentials = Literal["require", "forward", "dangerously-allow-unauthenticated"]


class ProxyConfigError(ValueError):
    """A proxy endpoint is configured wrongly; the message names ``proxy.endpoints.<name>`` and the key."""


@dataclass(frozen=True)
class Endpoint:
    name: str  # without slashes: the permission is proxy.<name>
    target: str
    headers: dict[str, str] = field(default_factory=dict)
    allowed_methods: frozenset[str] = frozenset({"GET", "HEAD"})
    allowed_headers: frozenset[str] = frozenset()
    credentials: Credentials = "require"
    change_origin: bool = True
    path_rewrite: tuple[tuple[str, str], ...] = ()
    timeout_seconds: float = 30.0
    max_response_bytes: int = 50 * 1024 * 1024

    @property
    def prefix(self) -> str:
        return f"/api/proxy/{self.name}"

    def request_headers(self) -> frozenset[str]:
        """Caller headers that may pass. Headers the endpoint configures are never among them: the proxy sets
        those itself, so the caller can neither add to nor replace them, in any letter case."""
        configured = {name.lower() for name in self.headers}
        return (SAFE_HEADERS | self.allowed_headers) - HOP_BY_HOP - CALLER_CREDENTIALS - configured

    def response_headers(self) -> frozenset[str]:
        return (SAFE_HEADERS | self.allowed_headers) - HOP_BY_HOP - {"set-cookie"}


def parse_endpoints(config: dict[str, Any]) -> list[Endpoint]:
    raw = config.get("endpoints")
    if raw is None:
        # Backstage's deprecated form: routes directly under proxy, starting with '/'.
        raw = {key: value for key, value in config.items() if key.startswith("/")}
    if not isinstance(raw, dict):
        raise ProxyConfigError("proxy.endpoints must be a mapping of route to target")
    return [_endpoint(route, value) for route, value in raw.items()]


def _endpoint(route: str, value: Any) -> Endpoint:
    name = route.strip("/")
    where = f"proxy.endpoints.{route}"
    if not name or not re.fullmatch(r"[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*", name) or ".." in name.split("/"):
        raise ProxyConfigError(f"{where}: the route must be a plain path such as /pagerduty")
    if isinstance(value, str):
        value = {"target": value}
    if not isinstance(value, dict):
        raise ProxyConfigError(f"{where}: write a target URL or a mapping with 'target'")
    target = str(value.get("target") or "")
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProxyConfigError(f"{where}.target: Proxy target is not a valid URL ({target!r}); write https://host/path")
    credentials = value.get("credentials", "require")
    if credentials not in ("require", "forward", "dangerously-allow-unauthenticated"):
        raise ProxyConfigError(f"{where}.credentials: use require, forward or dangerously-allow-unauthenticated")
    methods = value.get("allowedMethods") or ["GET", "HEAD"]
    headers = value.get("headers") or {}
    if not isinstance(headers, dict):
        raise ProxyConfigError(f"{where}.headers must be a mapping of header name to value")
    for header, header_value in headers.items():
        if header_value is None or isinstance(header_value, dict | list):
            raise ProxyConfigError(f"{where}.headers.{header}: give a text value (is its environment variable set?)")
    lowered = [str(header).lower() for header in headers]
    if len(set(lowered)) != len(lowered):
        raise ProxyConfigError(f"{where}.headers: a header is named twice (header names ignore letter case)")
    allowed_headers = frozenset(str(h).lower() for h in value.get("allowedHeaders") or [])
    if allowed_headers & CALLER_CREDENTIALS:
        named = ", ".join(sorted(allowed_headers & CALLER_CREDENTIALS))
        raise ProxyConfigError(
            f"{where}.allowedHeaders: {named} would hand the caller's portal credentials to the upstream; remove "
            "it, and set credentials: forward if the upstream really must receive the caller's token"
        )
    rewrite = value.get("pathRewrite") or {}
    try:
        compiled = tuple((str(pattern), str(replacement)) for pattern, replacement in rewrite.items())
        for pattern, _ in compiled:
            re.compile(pattern)
    except (re.error, AttributeError) as error:
        raise ProxyConfigError(f"{where}.pathRewrite: {error}") from None
    return Endpoint(
        name=name,
        target=target.rstrip("/"),
        headers={str(k): str(v) for k, v in headers.items()},
        allowed_methods=frozenset(str(m).upper() for m in methods),
        allowed_headers=allowed_headers,
        credentials=credentials,
        change_origin=bool(value.get("changeOrigin", True)),
        path_rewrite=compiled,
        timeout_seconds=float(value.get("timeoutSeconds", 30)),
        max_response_bytes=int(value.get("maxResponseBytes", 50 * 1024 * 1024)),
    )
