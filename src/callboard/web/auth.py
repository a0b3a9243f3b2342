"""Identity on every request: the middleware that requires it, CSRF protection, and the sign-in routes.

Every path needs a signed-in caller except the few declared public here (health, static files, the
sign-in flow itself, the token keys) and proxy endpoints configured ``dangerously-allow-unauthenticated``.
A caller is identified by ``Authorization: Bearer`` (a Callboard token or a configured service token) or by
the session cookie a sign-in sets (HttpOnly, SameSite=Lax). Requests that change something with only the
cookie must carry the CSRF token (double-submit: a form field or ``X-CSRF-Token`` equal to its cookie).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callboard.auth.api import AuthService, reset_access, safe_return_path, set_access
from callboard.core.errors import AuthenticationError, CallboardError, NotAllowedError
from callboard.core.identity import NOBODY, Identity

SESSION_COOKIE = "callboard_session"
STATE_COOKIE = "callboard_signin"
CSRF_COOKIE = "callboard_csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Paths anyone may reach; everything else needs an identity (a test checks every route against this).
PUBLIC_PREFIXES = ("/.backstage/health/", "/static/", "/api/auth/", "/.well-known/")
PUBLIC_PATHS = frozenset({"/signin", "/signin/guest", "/favicon.ico", "/ui/highlight.css"})


def is_public(path: str, extra: Callable[[str], bool] | None = None) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or bool(extra and extra(path))


def _error(
    status: int, name: str, message: str, path: str, method: str, headers: dict[str, str] | None = None
) -> Response:
    body = {
        "error": {"name": name, "message": message},
        "request": {"method": method, "url": path},
        "response": {"statusCode": status},
    }
    return JSONResponse(body, status_code=status, headers=headers)


class AuthMiddleware:
    """Pure ASGI, so the identity it sets (a context variable) is visible to the route that handles the call."""

    def __init__(
        self, app: ASGIApp, auth: AuthService, *, public: Callable[[str], bool] | None = None, secure: bool
    ) -> None:
        self.app = app
        self.auth = auth
        self.public = public
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        path, method = scope["path"], scope["method"]
        if sum(1 for key, _ in scope["headers"] if key.lower() == b"authorization") > 1:
            # Which of several tokens identifies the caller would be a guess, and a proxy or an upstream
            # might guess differently.
            message = "Send one Authorization header; this request has several"
            await _error(401, "AuthenticationError", message, path, method)(scope, receive, send)
            return
        cookies = _cookies(headers.get("cookie", ""))
        state = scope.setdefault("state", {})
        csrf = cookies.get(CSRF_COOKIE) or ""
        new_csrf = None
        if len(csrf) < 32 and not path.startswith("/api/"):
            csrf = new_csrf = secrets.token_urlsafe(32)
        state["csrf_token"] = csrf
        try:
            identity, via = self._identify(headers, cookies)
        except AuthenticationError as error:
            await _error(401, "AuthenticationError", error.message, path, method)(scope, receive, send)
            return
        public = is_public(path, self.public)
        if not identity.signed_in and not public:
            await self._refuse(scope, receive, send, path, method, headers)
            return
        if via == "cookie" and method in UNSAFE_METHODS and path.startswith("/api/") and not public:
            sent = headers.get(CSRF_HEADER, "")
            if not sent or not hmac.compare_digest(sent.encode(), csrf.encode()):
                response = _error(403, "NotAllowedError", "Missing or wrong CSRF token (X-CSRF-Token)", path, method)
                await response(scope, receive, send)
                return
        state["identity"] = identity
        state["auth_via"] = via
        token = set_access(self.auth.access(identity))

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and new_csrf is not None:
                cookie = f"{CSRF_COOKIE}={new_csrf}; Path=/; SameSite=Strict; HttpOnly" + (
                    "; Secure" if self.secure else ""
                )
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode("latin-1")))
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            reset_access(token)

    def _identify(self, headers: dict[str, str], cookies: dict[str, str]) -> tuple[Identity, str]:
        authorization = headers.get("authorization", "")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthenticationError("Malformed Authorization header; send 'Bearer <token>'")
            return self.auth.from_bearer(token.strip()), "bearer"
        session = cookies.get(SESSION_COOKIE)
        if session:
            try:
                return self.auth.from_session(session), "cookie"
            except AuthenticationError:
                return NOBODY, "none"  # an expired session sends the browser to sign in again
        return NOBODY, "none"

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, path: str, method: str, headers: dict[str, str]
    ) -> None:
        if path.startswith("/api/") or "text/html" not in headers.get("accept", ""):
            if headers.get("hx-request") == "true":
                response: Response = Response(status_code=401, headers={"HX-Redirect": "/signin"})
            else:
                response = _error(401, "AuthenticationError", "Missing credentials", path, method)
        else:
            query = scope.get("query_string", b"").decode("latin-1")
            back = path + (f"?{query}" if query else "")
            response = RedirectResponse(f"/signin?return={quote(back, safe='')}", status_code=303)
        await response(scope, receive, send)


def _cookies(header: str) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header identifies nobody
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def verify_csrf(request: Request, form_token: str | None) -> None:
    """For form posts of the pages: same origin, and the CSRF token when the session cookie identified the caller."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise NotAllowedError("Refused a form post from another site")
    if getattr(request.state, "auth_via", "none") != "cookie":
        return  # a bearer token is not sent by browsers on their own, so it cannot be forged across sites
    expected = getattr(request.state, "csrf_token", "")
    sent = form_token or request.headers.get(CSRF_HEADER, "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise NotAllowedError("This form has expired or did not come from this portal (CSRF token); reload the page")


def _set_session(response: Response, token: str, *, max_age: int, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/")


def auth_router(auth: AuthService, render: Callable[..., HTMLResponse], *, base_url: str, secure: bool) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    lifetime = int(auth.config.session.lifetime_hours * 3600)

    def callback_url(provider: str) -> str:
        return f"{base_url.rstrip('/')}/api/auth/{provider}/handler/frame"

    @router.get("/signin", response_class=HTMLResponse)
    def signin_page(request: Request, error: str = "") -> HTMLResponse:
        back = request.query_params.get("return", "/")
        providers = [{"id": p.id, "title": p.title} for p in auth.providers.values()]
        return render(request, "signin.html", providers=providers, guest=auth.guest is not None, back=back, error=error)

    @router.get("/api/auth/{provider}/start")
    def start(provider: str, request: Request) -> Response:
        url, state = auth.start(provider, callback_url(provider), request.query_params.get("return"))
        response = RedirectResponse(url, status_code=302)
        response.set_cookie(
            STATE_COOKIE, state, max_age=600, httponly=True, samesite="lax", secure=secure, path="/api/auth/"
        )
        return response

    @router.get("/api/auth/{provider}/handler/frame")
    def finish(provider: str, request: Request) -> Response:
        try:
            identity, back = auth.finish(
                provider, dict(request.query_params), request.cookies.get(STATE_COOKIE), callback_url(provider)
            )
        except CallboardError as error:
            response: Response = RedirectResponse(f"/signin?error={quote(error.message, safe='')}", status_code=303)
            response.delete_cookie(STATE_COOKIE, path="/api/auth/")
            return response
        # A fresh token on every sign-in: nothing set before the sign-in carries over (no session fixation).
        response = RedirectResponse(back, status_code=303)
        _set_session(response, auth.session_token(identity), max_age=lifetime, secure=secure)
        response.delete_cookie(STATE_COOKIE, path="/api/auth/")
        return response

    @router.post("/signin/guest")
    def guest(request: Request, csrf_token: str = Form(""), back: str = Form("/")) -> Response:
        expected = getattr(request.state, "csrf_token", "")
        if not csrf_token or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
            raise NotAllowedError(
                "This form has expired or did not come from this portal (CSRF token); reload the page"
            )
        client = request.client.host if request.client else ""
        identity = auth.sign_in_as_guest(client)
        response = RedirectResponse(safe_return_path(back), status_code=303)
        _set_session(response, auth.session_token(identity), max_age=lifetime, secure=secure)
        return response

    @router.post("/signout")
    def signout(request: Request, csrf_token: str = Form("")) -> Response:
        verify_csrf(request, csrf_token)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/api/auth/session")
    def session(request: Request) -> dict[str, Any]:
        """The signed-in caller and a token for scripts (like Backstage's /refresh: needs X-Requested-With)."""
        if request.headers.get("x-requested-with") != "XMLHttpRequest":
            raise NotAllowedError("Send the header X-Requested-With: XMLHttpRequest")
        identity = getattr(request.state, "identity", NOBODY)
        if not identity.signed_in:
            raise AuthenticationError("Not signed in")
        return {
            "backstageIdentity": {
                "token": auth.tokens.issue(identity),
                "expiresInSeconds": int(auth.tokens.lifetime_seconds),
                "identity": {
                    "type": identity.type,
                    "userEntityRef": identity.subject,
                    "ownershipEntityRefs": list(identity.ownership),
                },
            },
            "profile": {"displayName": identity.display_name},
        }

    @router.get("/.well-known/jwks.json")
    def jwks() -> dict[str, Any]:
        return auth.tokens.jwks()

    return router


def identity_of(request: Any) -> Identity:
    """The caller the middleware identified for this request (NOBODY on public paths without credentials)."""
    found = getattr(request.state, "identity", NOBODY)
    return found if isinstance(found, Identity) else NOBODY
