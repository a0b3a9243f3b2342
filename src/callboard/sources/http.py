"""HTTP clients for plugins: an integration's or a proxy endpoint's credentials attached on the server,
timeouts, retries with backoff for idempotent calls, and a hook that sees every write call (for the audit log).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from callboard.core.errors import NotFoundError
from callboard.core.upstream import retry_after
from callboard.sources.github_app import GitHubApp, GitHubAppAuth

#: Statuses worth a second try: the upstream said it was busy or briefly unavailable.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The longest Retry-After waited here; a longer one is the caller's to honour (``UpstreamCache`` holds its calls).
MAX_RETRY_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class ClientTarget:
    """Where a named client points and what it sends; ``headers`` hold the secret and never leave the server."""

    name: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 30.0
    #: Credentials worked out per call (a GitHub App's installation token for the repository's owner).
    auth: httpx.Auth | None = None


class RetryingTransport(httpx.BaseTransport):
    """Retries idempotent requests on connection errors and busy statuses, waiting 0.2 s, 0.4 s, 0.8 s..."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        attempts: int = 3,
        backoff_seconds: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner or httpx.HTTPTransport()
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        retryable = request.method in IDEMPOTENT
        for attempt in range(self._attempts):
            last = attempt == self._attempts - 1 or not retryable
            try:
                response = self._inner.handle_request(request)
            except httpx.TransportError:
                if last:
                    raise
            else:
                if last or response.status_code not in RETRY_STATUSES:
                    return response
                # A vendor that asks for a longer wait (a rate limit) gets it from the caller, not three quick
                # calls more: the answer goes back with its Retry-After for the caller to honour.
                wait = retry_after(response)
                if wait is not None and wait > MAX_RETRY_WAIT_SECONDS:
                    return response
                response.close()
                self._sleep(max(self._backoff * (2**attempt), wait or 0.0))
                continue
            self._sleep(self._backoff * (2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises

    def close(self) -> None:
        self._inner.close()


def integration_targets(integrations: Mapping[str, Any]) -> dict[str, ClientTarget]:
    """A client target per configured integration (the first host of each kind, and ``<kind>:<host>``)."""
    found: dict[str, ClientTarget] = {}
    for kind, entries in integrations.items():
        for entry in entries or []:
            if not isinstance(entry, Mapping) or not entry.get("host"):
                continue
            host = str(entry["host"])
            base = _api_base(kind, host, entry)
            auth = _github_apps(base, entry, f"integrations.{kind}[{host}]") if kind == "github" else None
            headers = {} if auth is not None else _auth_headers(kind, entry)
            target = ClientTarget(f"{kind}:{host}", base, headers, auth=auth)
            found.setdefault(kind, target)
            found[f"{kind}:{host}"] = target
    return found


def _github_apps(base: str, entry: Mapping[str, Any], where: str) -> httpx.Auth | None:
    apps = entry.get("apps") or []
    if not apps:
        return None
    parsed = [GitHubApp.from_config(app, f"{where}.apps[{index}]") for index, app in enumerate(apps)]
    token = entry.get("token")
    return GitHubAppAuth(base, parsed, str(token) if token else None)


def _api_base(kind: str, host: str, entry: Mapping[str, Any]) -> str:
    explicit = entry.get("apiBaseUrl")
    if explicit:
        return str(explicit)
    if kind == "github":
        return "https://api.github.com" if host == "github.com" else f"https://{host}/api/v3"
    if kind == "gitlab":
        return f"https://{host}/api/v4"
    return f"https://{host}"


def _auth_headers(kind: str, entry: Mapping[str, Any]) -> dict[str, str]:
    token = entry.get("token")
    if not token:
        return {}
    return {"Authorization": f"Bearer {token}"}


def is_write(request: httpx.Request) -> bool:
    """Whether a call changes something at the vendor: every POST, PUT, PATCH and DELETE, except a GraphQL query
    (a POST to ``.../graphql`` whose document is a ``query``), which only reads; a mutation is a write."""
    if request.method not in WRITE_METHODS:
        return False
    if request.method != "POST" or not request.url.path.endswith("/graphql"):
        return True
    try:
        document = str(json.loads(request.content).get("query", ""))
    except (ValueError, AttributeError, httpx.RequestNotRead):
        return True
    lines = [line.strip() for line in document.splitlines() if line.strip() and not line.strip().startswith("#")]
    first = lines[0] if lines else ""
    return not (first.startswith("query") or first.startswith("{"))


def build_client(
    targets: Mapping[str, ClientTarget],
    name: str,
    *,
    on_write: Callable[[httpx.Request, httpx.Response], None] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    target = targets.get(name)
    if target is None:
        known = ", ".join(sorted(targets)) or "none configured"
        raise NotFoundError(
            f"No integration or proxy endpoint named {name!r} (known: {known}); add it under integrations "
            "or proxy.endpoints in app-config"
        )

    def audit_writes(response: httpx.Response) -> None:
        if on_write is not None and is_write(response.request):
            on_write(response.request, response)

    return httpx.Client(
        base_url=target.base_url,
        headers=dict(target.headers),
        auth=target.auth,
        timeout=target.timeout_seconds,
        transport=RetryingTransport(transport),
        event_hooks={"response": [audit_writes]},
        follow_redirects=False,
    )
