"""Browser-facing protections of the portal's pages: same-origin form posts and a strict content policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import Request, Response

from callboard.core.errors import NotAllowedError
from callboard.web.auth import verify_csrf

#: Scripts and styles only from the portal itself (no CDN, no inline script); inline styles are allowed
#: because the API viewer sets them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def require_same_origin(request: Request, csrf_token: str | None = None) -> None:
    """Refuse a form post another site made the browser send: its origin, then the CSRF token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise NotAllowedError("Refused a form post from another site")
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise NotAllowedError(f"Refused a form post from {origin}: it is not this portal's address")
    verify_csrf(request, csrf_token)


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    if response.headers.get("content-type", "").startswith("text/html"):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
