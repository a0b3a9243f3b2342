"""Who is calling: bearer tokens (Callboard's own or configured service tokens), session cookies, sign-in flows."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import ValidationError

from callboard.auth.config import AuthConfig, BackendAuthConfig, GuestConfig
from callboard.auth.policy import Access, PermissionPolicy
from callboard.auth.providers import Flow, Provider, new_flow
from callboard.auth.signin import ownership, sign_in
from callboard.auth.tokens import StateSigner, TokenService
from callboard.core.errors import AuthenticationError, InputError, NotAllowedError
from callboard.core.extensions import CatalogReader
from callboard.core.identity import Identity

if TYPE_CHECKING:
    from callboard.plugins.backend import AuthProviderSpec


class AuthSetupError(Exception):
    """Sign-in is configured in a way that would be unsafe or unusable; the message says what to change."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def safe_return_path(value: str | None) -> str:
    """A path on this portal to go back to after sign-in; anything else (other hosts, ``//x``, ``\\\\``) is ``/``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in value):
        return "/"
    return value


@dataclass(frozen=True)
class ServiceToken:
    token: str
    subject: str


class AuthService:
    def __init__(
        self,
        config: AuthConfig,
        backend: BackendAuthConfig,
        tokens: TokenService,
        users: CatalogReader,
        policy: PermissionPolicy,
        specs: Mapping[str, AuthProviderSpec] | None = None,
    ) -> None:
        self.config = config
        self.tokens = tokens
        self.states = StateSigner(tokens)
        self.users = users
        self.policy = policy
        self.service_tokens = [
            ServiceToken(item.options.token, item.options.subject) for item in backend.external_access
        ]
        self.providers: dict[str, Provider] = {}
        #: Configured providers no installed plugin offers (reported at start-up, never silently dropped).
        self.unavailable: list[str] = []
        for provider_id in config.providers:
            if provider_id == "guest":
                continue
            spec = (specs or {}).get(provider_id)
            settings = config.provider(provider_id)
            if spec is None or settings is None:
                self.unavailable.append(provider_id)
                continue
            try:
                self.providers[provider_id] = spec.create(settings)
            except ValidationError as error:  # named field by field, never with the values (they hold secrets)
                problems = "; ".join(
                    f"auth.providers.{provider_id}.{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
                    for problem in error.errors()
                )
                raise AuthSetupError(problems) from None
            except ValueError as error:
                raise AuthSetupError(f"auth.providers.{provider_id}: {error}") from None
        guest = config.provider("guest")
        self.guest = GuestConfig.model_validate(guest) if guest is not None else None

    # -- start-up checks -------------------------------------------------------------------------------------

    def check_setup(self, listen_host: str) -> None:
        """Refuse configurations that would expose the portal: no way to sign in, or a guest off loopback."""
        if self.guest is not None and not self.guest.dangerously_allow_outside_development:
            if self.config.environment != "development":
                raise AuthSetupError(
                    f"auth.providers.guest is only allowed when auth.environment is 'development' "
                    f"(it is {self.config.environment!r}); configure oidc or github sign-in for other environments"
                )
            if not is_loopback(listen_host):
                raise AuthSetupError(
                    f"auth.providers.guest lets anyone in, so it only runs on a loopback address; the portal "
                    f"would listen on {listen_host!r}. Listen on 127.0.0.1, or configure oidc or github sign-in"
                )
        if not self.providers and self.guest is None and not self.service_tokens:
            raise AuthSetupError(
                "No way to sign in is configured, and Callboard does not run open. Add auth.providers.oidc "
                "(any OpenID Connect issuer) or auth.providers.github, or backend.auth.externalAccess tokens for "
                "API-only use; for a local trial, run `callboard demo`"
            )

    # -- who is calling ---------------------------------------------------------------------------------------

    def from_bearer(self, token: str) -> Identity:
        for service in self.service_tokens:
            if hmac.compare_digest(service.token.encode(), token.encode()):
                return Identity("service", service.subject, (service.subject,), service.subject, "static")
        return self.tokens.verify(token)

    def from_session(self, cookie: str) -> Identity:
        return self.tokens.verify(cookie)

    def access(self, identity: Identity) -> Access:
        return Access(identity, self.policy)

    def session_token(self, identity: Identity) -> str:
        return self.tokens.issue(identity, self.config.session.lifetime_hours * 3600)

    # -- signing in -------------------------------------------------------------------------------------------

    def provider(self, provider_id: str) -> Provider:
        found = self.providers.get(provider_id)
        if found is None:
            raise InputError(f"No sign-in provider {provider_id!r} is configured")
        return found

    def start(self, provider_id: str, redirect_uri: str, return_to: str | None) -> tuple[str, str]:
        """The provider's authorization URL and the signed state to keep in a cookie until the user is back."""
        provider = self.provider(provider_id)
        flow = new_flow()
        state = self.states.sign(
            {
                "provider": provider_id,
                "state": flow.state,
                "nonce": flow.nonce,
                "verifier": flow.code_verifier,
                "return": safe_return_path(return_to),
            }
        )
        return provider.authorize_url(redirect_uri, flow), state

    def finish(
        self, provider_id: str, query: Mapping[str, str], state_cookie: str | None, redirect_uri: str
    ) -> tuple[Identity, str]:
        if "error" in query:
            raise AuthenticationError(
                f"Sign-in was refused by the provider: {query.get('error_description') or query['error']}"
            )
        if not state_cookie:
            raise AuthenticationError(
                "The sign-in has no state (cookies blocked, or it started elsewhere); start again"
            )
        saved = self.states.unsign(state_cookie)
        if saved.get("provider") != provider_id or not hmac.compare_digest(
            str(saved.get("state", "")).encode(), str(query.get("state", "")).encode()
        ):
            raise AuthenticationError("The sign-in state does not match; start again")
        code = query.get("code")
        if not code:
            raise AuthenticationError("The provider sent no authorization code")
        provider = self.provider(provider_id)
        flow = Flow(str(saved["state"]), str(saved["nonce"]), str(saved["verifier"]))
        profile = provider.finish(code, redirect_uri, flow)
        identity = sign_in(profile, provider.resolvers, self.users)
        return identity, safe_return_path(str(saved.get("return") or "/"))

    def sign_in_as_guest(self, client_host: str) -> Identity:
        if self.guest is None:
            raise NotAllowedError("Guest sign-in is not enabled")
        if not is_loopback(client_host) and not self.guest.dangerously_allow_outside_development:
            raise NotAllowedError("Guest sign-in is only possible from this machine (a loopback address)")
        ref = self.guest.user_entity_ref.lower()
        if self.users.entity(ref) is not None:
            return Identity("user", ref, ownership(ref, self.users), "Guest", "guest")
        return Identity("user", ref, (ref,), "Guest", "guest")
