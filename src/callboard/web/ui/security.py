"""Browser-facing protections of the portal's pages: same-origin form posts and a strict content policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Scope

from callboard.core.errors import NotAllowedError
from callboard.web.auth import verify_csrf
from callboard.web.headers import Headers, ResponseHeaders

#: Scripts and styles only from the portal itself (no CDN, no inline script); inline styles are allowed
#: because the API viewer sets them.
DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'", "'unsafe-inline'"),
    "img-src": ("'self'", "data:"),
    "font-src": ("'self'", "data:"),
    "connect-src": ("'self'",),
    "frame-ancestors": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
}


def policy_directives(overrides: Mapping[str, Sequence[str] | bool] | None = None) -> dict[str, tuple[str, ...]]:
    """The pages' content policy with ``backend.csp`` applied as Backstage applies it: a list replaces that
    directive's sources, ``false`` removes the directive (the operator's choice, e.g. img-src for avatars)."""
    found = dict(DIRECTIVES)
    for name, value in (overrides or {}).items():
        if value is False:
            found.pop(name, None)
        elif isinstance(value, list | tuple):
            found[name] = tuple(str(source) for source in value)
    return found


def content_security_policy(directives: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in directives.items())


CONTENT_SECURITY_POLICY = content_security_policy(DIRECTIVES)


def require_same_origin(request: Request, csrf_token: str | None = None) -> None:
    """Refuse a form post another site made the browser send: its origin, then the CSRF token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise NotAllowedError("Refused a form post from another site")
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise NotAllowedError(f"Refused a form post from {origin}: it is not this portal's address")
    verify_csrf(request, csrf_token)


class SecurityHeaders(ResponseHeaders):
    """The content policy and friends on every HTML response (unless the page set its own)."""

    def __init__(self, app: ASGIApp, policy: str = CONTENT_SECURITY_POLICY) -> None:
        super().__init__(app)
        self._headers = (
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        )

    def extra(self, scope: Scope, started: float, headers: Headers) -> Headers:
        content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
        if not content_type.startswith(b"text/html"):
            return []
        names = {name.lower() for name, _ in headers}
        return [(name, value) for name, value in self._headers if name not in names]
