"""Callboard's own tokens: ES256-signed JWTs that carry the caller (``sub``) and its ownership (``ent``).

The signing key lives in the database so every replica signs and verifies alike; its public half is served
at ``/.well-known/jwks.json`` for services that verify Callboard tokens themselves.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from callboard.auth import store
from callboard.core.errors import AuthenticationError
from callboard.core.identity import Identity
from callboard.storage.db import Database

AUDIENCE = "callboard"
ALGORITHM = "ES256"


def _new_key() -> tuple[str, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(public).hexdigest()[:16], pem


class TokenService:
    def __init__(self, database: Database, *, issuer: str, lifetime_seconds: float) -> None:
        self._db = database
        self.issuer = issuer
        self.lifetime_seconds = lifetime_seconds
        self._lock = threading.Lock()
        self._signing: tuple[str, Any] | None = None
        self._public: dict[str, Any] = {}

    def _signing_key(self) -> tuple[str, Any]:
        with self._lock:
            if self._signing is None:
                with self._db.transaction() as connection:
                    kid, pem = store.signing_key(connection, _new_key)
                self._signing = (kid, serialization.load_pem_private_key(pem.encode(), password=None))
            return self._signing

    def _public_key(self, kid: str) -> Any:
        found = self._public.get(kid)
        if found is None:
            with self._db.connect() as connection:
                keys = dict(store.all_keys(connection))
            if kid not in keys:
                return None
            found = serialization.load_pem_private_key(keys[kid].encode(), password=None).public_key()
            self._public[kid] = found
        return found

    def issue(self, identity: Identity, lifetime_seconds: float | None = None) -> str:
        kid, key = self._signing_key()
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": identity.subject,
            "ent": list(identity.ownership),
            "typ": identity.type,
            "name": identity.display_name,
            "prv": identity.provider,
            "iat": now,
            "exp": now + int(lifetime_seconds or self.lifetime_seconds),
        }
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})

    def verify(self, token: str) -> Identity:
        """The identity a token carries; AuthenticationError when it is malformed, forged, expired or foreign."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"Malformed token: {error}") from None
        if header.get("alg") != ALGORITHM:
            raise AuthenticationError(f"Token algorithm {header.get('alg')!r} is not accepted")
        key = self._public_key(str(header.get("kid", "")))
        if key is None:
            raise AuthenticationError("Token was not signed by this portal")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("Token has expired; sign in again") from None
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"Invalid token: {error}") from None
        kind = claims.get("typ", "user")
        if kind not in ("user", "service"):
            raise AuthenticationError("Invalid token: unknown principal type")
        return Identity(
            kind,
            str(claims["sub"]),
            tuple(str(ref) for ref in claims.get("ent") or ()),
            str(claims.get("name") or ""),
            str(claims.get("prv") or ""),
        )

    def jwks(self) -> dict[str, Any]:
        with self._db.connect() as connection:
            keys = store.all_keys(connection)
        found = []
        for kid, pem in keys:
            public = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
            assert isinstance(public, ec.EllipticCurvePublicKey)
            jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public))
            found.append({**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"})
        return {"keys": found}


class StateSigner:
    """Short-lived signed values (a sign-in's state between leaving for the provider and coming back)."""

    AUDIENCE = "callboard-sign-in-state"

    def __init__(self, tokens: TokenService) -> None:
        self._tokens = tokens

    def sign(self, values: dict[str, Any], lifetime_seconds: int = 600) -> str:
        kid, key = self._tokens._signing_key()
        now = int(time.time())
        claims = {**values, "aud": self.AUDIENCE, "iat": now, "exp": now + lifetime_seconds}
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})

    def unsign(self, token: str) -> dict[str, Any]:
        try:
            kid = str(jwt.get_unverified_header(token).get("kid", ""))
            key = self._tokens._public_key(kid)
            if key is None:
                raise AuthenticationError("The sign-in state was not made by this portal; start again")
            values: dict[str, Any] = jwt.decode(token, key, algorithms=[ALGORITHM], audience=self.AUDIENCE)
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"The sign-in state is not valid ({error}); start again") from None
        return values
