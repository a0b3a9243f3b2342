"""GitHub App credentials for the integration client, as Backstage's ``integrations.github[].apps[]`` configure them.

A call about a repository (``/repos/<owner>/...``) or an organisation (``/orgs/<owner>/...``) is signed with an
installation access token of the app installed on that owner: a JWT signed with the app's private key finds the
installation (``GET /app/installations``) and gets a token for it (``POST /app/installations/<id>/access_tokens``),
kept until a minute before it expires. ``allowedInstallationOwners`` limits the owners an app acts for. Where no
app is installed on the owner, the integration's ``token`` signs the call if there is one, as in Backstage.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization

from callboard.core.upstream import UpstreamError, check_response

OWNER_IN_PATH = re.compile(r"/(?:repos|orgs|users)/([^/]+)")
#: Installations are listed again after this, so an app installed on a new owner is found without a restart.
INSTALLATIONS_SECONDS = 600.0


@dataclass(frozen=True)
class GitHubApp:
    app_id: str
    private_key: str
    allowed_owners: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, entry: Mapping[str, Any], where: str) -> GitHubApp:
        app_id, key = entry.get("appId"), entry.get("privateKey")
        if not app_id or not key:
            raise ValueError(f"{where}: a GitHub App needs appId and privateKey (the PEM the app's settings page gave)")
        try:
            serialization.load_pem_private_key(str(key).encode(), password=None)
        except (ValueError, TypeError):
            raise ValueError(
                f"{where}.privateKey: not a PEM private key; paste the whole .pem file the app's settings page "
                "gave (-----BEGIN RSA PRIVATE KEY----- ...), e.g. as ${GITHUB_APP_PRIVATE_KEY}"
            ) from None
        owners = frozenset(str(owner).lower() for owner in entry.get("allowedInstallationOwners") or [])
        return cls(str(app_id), str(key), owners)


@dataclass
class _Token:
    value: str
    expires: float


@dataclass
class _Installations:
    by_owner: dict[str, int] = field(default_factory=dict)
    listed: float = 0.0


class GitHubAppAuth(httpx.Auth):
    """Signs each call with the installation token of the app installed on the owner the call is about."""

    def __init__(
        self,
        api_base: str,
        apps: Sequence[GitHubApp],
        fallback_token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_base = api_base.rstrip("/")
        self._apps = list(apps)
        self._fallback = fallback_token
        self._transport = transport
        self._clock = clock
        self._tokens: dict[tuple[str, int], _Token] = {}
        self._installations = {app.app_id: _Installations() for app in self._apps}
        self._lock = threading.Lock()

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        match = OWNER_IN_PATH.search(request.url.path)
        token = self._token_for(match.group(1)) if match else None
        token = token or self._fallback
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def _token_for(self, owner: str) -> str | None:
        owner = owner.lower()
        with self._lock:
            for app in self._apps:
                if app.allowed_owners and owner not in app.allowed_owners:
                    continue
                installation = self._installation(app, owner)
                if installation is None:
                    continue
                cached = self._tokens.get((app.app_id, installation))
                if cached is None or cached.expires - 60 < self._clock():
                    cached = self._tokens[(app.app_id, installation)] = self._new_token(app, installation)
                return cached.value
        return None

    def _installation(self, app: GitHubApp, owner: str) -> int | None:
        known = self._installations[app.app_id]
        if owner not in known.by_owner and self._clock() - known.listed > INSTALLATIONS_SECONDS:
            known.by_owner = self._list_installations(app)
            known.listed = self._clock()
        return known.by_owner.get(owner)

    def _list_installations(self, app: GitHubApp) -> dict[str, int]:
        found: dict[str, int] = {}
        with self._client(app) as client:
            url: str | None = "/app/installations?per_page=100"
            while url:
                response = check_response(client.get(url), f"GitHub (app {app.app_id})")
                for installation in response.json():
                    found[str(installation["account"]["login"]).lower()] = int(installation["id"])
                url = response.links.get("next", {}).get("url")
        return found

    def _new_token(self, app: GitHubApp, installation: int) -> _Token:
        with self._client(app) as client:
            response = client.post(f"/app/installations/{installation}/access_tokens")
            body = check_response(response, f"GitHub (app {app.app_id})").json()
        expires = datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00")).timestamp()
        return _Token(str(body["token"]), expires)

    def _client(self, app: GitHubApp) -> httpx.Client:
        now = int(self._clock())
        try:
            signed = jwt.encode({"iat": now - 60, "exp": now + 540, "iss": app.app_id}, app.private_key, "RS256")
        except (ValueError, TypeError) as error:
            raise UpstreamError(
                f"GitHub App {app.app_id}: its privateKey is not a PEM RSA key ({error}); paste the key file the "
                "app's settings page gave",
                credentials=True,
            ) from None
        headers = {"Authorization": f"Bearer {signed}", "Accept": "application/vnd.github+json"}
        return httpx.Client(base_url=self._api_base, headers=headers, transport=self._transport, timeout=30.0)
