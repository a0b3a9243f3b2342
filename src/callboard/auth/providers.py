"""Sign-in providers: any standard OpenID Connect issuer, and GitHub's OAuth apps.

Both use the authorization-code flow with ``state`` and PKCE (Authlib builds the requests); OIDC also checks
the ID token's signature (the issuer's JWKS), issuer, audience, expiry and ``nonce``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import jwt
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from callboard.auth.config import GithubConfig, OidcConfig, ResolverConfig
from callboard.auth.signin import Profile
from callboard.core.errors import AuthenticationError

TIMEOUT = httpx.Timeout(10.0)


@dataclass(frozen=True)
class Flow:
    """What the start of a sign-in must remember until the provider sends the user back."""

    state: str
    nonce: str
    code_verifier: str


class Provider(Protocol):
    id: str
    title: str
    resolvers: list[ResolverConfig]

    def authorize_url(self, redirect_uri: str, flow: Flow) -> str: ...

    def finish(self, code: str, redirect_uri: str, flow: Flow) -> Profile: ...


def new_flow() -> Flow:
    return Flow(generate_token(32), generate_token(32), generate_token(64))


def _get_json(client: httpx.Client, url: str, **kwargs: Any) -> Any:
    try:
        response = client.get(url, **kwargs)
    except httpx.HTTPError as error:
        raise AuthenticationError(f"The sign-in provider could not be reached ({url}): {error}") from None
    if response.status_code != 200:
        raise AuthenticationError(f"The sign-in provider answered {response.status_code} for {url}")
    return response.json()


class OidcProvider:
    id = "oidc"
    title = "Single sign-on"

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self.resolvers = config.sign_in.resolvers
        self._metadata: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                with httpx.Client(timeout=TIMEOUT) as client:
                    found = _get_json(client, self.config.metadata_url)
                for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if key not in found:
                        raise AuthenticationError(f"{self.config.metadata_url} has no {key}; is it an OIDC issuer?")
                self._metadata = found
                self._jwks = jwt.PyJWKClient(found["jwks_uri"], cache_keys=True, timeout=10)
            return self._metadata

    def authorize_url(self, redirect_uri: str, flow: Flow) -> str:
        extra = {"prompt": self.config.prompt} if self.config.prompt else {}
        return str(
            prepare_grant_uri(
                self.metadata()["authorization_endpoint"],
                self.config.client_id,
                "code",
                redirect_uri=redirect_uri,
                scope=self.config.scope,
                state=flow.state,
                nonce=flow.nonce,
                code_challenge=create_s256_code_challenge(flow.code_verifier),
                code_challenge_method="S256",
                **extra,
            )
        )

    def finish(self, code: str, redirect_uri: str, flow: Flow) -> Profile:
        metadata = self.metadata()
        with httpx.Client(timeout=TIMEOUT) as client:
            try:
                response = client.post(
                    metadata["token_endpoint"],
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": redirect_uri,
                        "code_verifier": flow.code_verifier,
                    },
                    auth=(self.config.client_id, self.config.client_secret),
                    headers={"Accept": "application/json"},
                )
            except httpx.HTTPError as error:
                raise AuthenticationError(f"The sign-in provider could not be reached: {error}") from None
            if response.status_code != 200:
                raise AuthenticationError(f"The sign-in provider refused the code ({response.status_code})")
            id_token = response.json().get("id_token")
        if not id_token:
            raise AuthenticationError("The sign-in provider returned no ID token (is 'openid' in the scope?)")
        assert self._jwks is not None
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token)
            claims = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"],
                audience=self.config.client_id,
                issuer=metadata["issuer"],
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"The ID token is not valid: {error}") from None
        if claims.get("nonce") != flow.nonce:
            raise AuthenticationError("The ID token's nonce does not match this sign-in; start again")
        return Profile(
            "oidc",
            email=str(claims.get("email") or ""),
            username=str(claims.get("preferred_username") or ""),
            user_id=str(claims["sub"]),
            display_name=str(claims.get("name") or ""),
        )


class GithubProvider:
    id = "github"
    title = "GitHub"

    def __init__(self, config: GithubConfig) -> None:
        self.config = config
        self.resolvers = config.sign_in.resolvers
        base = (config.enterprise_instance_url or "https://github.com").rstrip("/")
        self.web_url = base
        default_api = "https://api.github.com" if base == "https://github.com" else f"{base}/api/v3"
        self.api_url = (config.api_base_url or default_api).rstrip("/")

    def authorize_url(self, redirect_uri: str, flow: Flow) -> str:
        return str(
            prepare_grant_uri(
                f"{self.web_url}/login/oauth/authorize",
                self.config.client_id,
                "code",
                redirect_uri=redirect_uri,
                scope="read:user user:email",
                state=flow.state,
                code_challenge=create_s256_code_challenge(flow.code_verifier),
                code_challenge_method="S256",
            )
        )

    def finish(self, code: str, redirect_uri: str, flow: Flow) -> Profile:
        with httpx.Client(timeout=TIMEOUT) as client:
            try:
                response = client.post(
                    f"{self.web_url}/login/oauth/access_token",
                    data={
                        "client_id": self.config.client_id,
                        "client_secret": self.config.client_secret,
                        "code": code,
                        "redirect_uri": redirect_uri,
                        "code_verifier": flow.code_verifier,
                    },
                    headers={"Accept": "application/json"},
                )
            except httpx.HTTPError as error:
                raise AuthenticationError(f"GitHub could not be reached: {error}") from None
            token = response.json().get("access_token") if response.status_code == 200 else None
            if not token:
                raise AuthenticationError("GitHub refused the sign-in code; start again")
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
            user = _get_json(client, f"{self.api_url}/user", headers=headers)
            email = user.get("email") or ""
            if not email:
                emails = _get_json(client, f"{self.api_url}/user/emails", headers=headers)
                primary = [item for item in emails if item.get("primary") and item.get("verified")]
                email = primary[0]["email"] if primary else ""
        return Profile(
            "github",
            email=str(email),
            username=str(user.get("login") or ""),
            user_id=str(user.get("id") or ""),
            display_name=str(user.get("name") or user.get("login") or ""),
        )


def oidc_provider(settings: Mapping[str, Any]) -> OidcProvider:
    """``auth.providers.oidc``: any OpenID Connect issuer (metadataUrl, clientId, clientSecret, ...)."""
    return OidcProvider(OidcConfig.model_validate(dict(settings)))


def github_provider(settings: Mapping[str, Any]) -> GithubProvider:
    """``auth.providers.github``: GitHub or GitHub Enterprise OAuth apps (clientId, clientSecret, ...)."""
    return GithubProvider(GithubConfig.model_validate(dict(settings)))
