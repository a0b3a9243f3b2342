"""Local stand-ins for sign-in providers, speaking their documented protocols over real HTTP on loopback.

``FakeOidc`` is an OpenID Connect provider (discovery, authorize with PKCE, token, JWKS), signing ID tokens
with joserfc, the JOSE library of the Authlib project. ``FakeGithub`` speaks GitHub's OAuth app endpoints
and the two REST calls sign-in uses. Both sign in whoever the test puts in ``user`` and can be told to
misbehave (``tamper``) to test that Callboard refuses bad answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.jwk import RSAKey


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class FakeOidc:
    def __init__(self, client_id: str = "callboard", client_secret: str = "oidc-secret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "fake-1"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "fake-1"})  # same kid, wrong key
        self.user: dict[str, Any] = {"sub": "u-1", "email": "ada@example.com", "name": "Ada"}
        self.tamper: str | None = None
        self.issuer = ""
        self.codes: dict[str, dict[str, Any]] = {}
        self.app = self._build()

    def _id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **self.user,
        }
        key = self.key
        if self.tamper == "nonce":
            claims["nonce"] = "not-the-nonce"
        elif self.tamper == "audience":
            claims["aud"] = "someone-else"
        elif self.tamper == "expired":
            claims["iat"], claims["exp"] = now - 600, now - 300
        elif self.tamper == "issuer":
            claims["iss"] = "https://evil.example"
        elif self.tamper == "signature":
            key = self.other_key
        if self.tamper == "alg-none":
            header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": "fake-1"}).encode()).rstrip(b"=")
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
            return f"{header.decode()}.{body.decode()}."
        return jwt.encode({"alg": "RS256", "kid": "fake-1"}, claims, key)

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            return {"keys": [{**self.key.as_dict(private=False), "kid": "fake-1", "use": "sig", "alg": "RS256"}]}

        @app.get("/authorize")
        def authorize(request: Request) -> Response:
            query = request.query_params
            if query.get("client_id") != self.client_id or query.get("code_challenge_method") != "S256":
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            if self.tamper == "deny":
                return RedirectResponse(
                    f"{query['redirect_uri']}?{urlencode({'error': 'access_denied', 'state': query['state']})}"
                )
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "redirect_uri": query["redirect_uri"],
                "challenge": query["code_challenge"],
                "nonce": query.get("nonce", ""),
            }
            state = "forged-state" if self.tamper == "state" else query["state"]
            return RedirectResponse(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': state})}")

        @app.post("/token")
        def token(
            request: Request,
            grant_type: str = Form(...),
            code: str = Form(...),
            redirect_uri: str = Form(...),
            code_verifier: str = Form(""),
        ) -> Response:
            expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if request.headers.get("authorization") != expected:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            grant = self.codes.pop(code, None)
            if grant is None or grant_type != "authorization_code" or grant["redirect_uri"] != redirect_uri:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            if _challenge(code_verifier) != grant["challenge"]:
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
            return JSONResponse({"access_token": "at", "token_type": "Bearer", "id_token": self._id_token(grant)})

        return app


class FakeGithub:
    def __init__(self, client_id: str = "gh-client", client_secret: str = "gh-secret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.user: dict[str, Any] = {"login": "octocat", "id": 583231, "name": "The Octocat", "email": None}
        self.emails = [{"email": "octocat@example.com", "primary": True, "verified": True}]
        self.codes: dict[str, str] = {}
        self.token = "ghp_integration"  # what integrations.github[].token holds in tests
        self.orgs = {"acme"}
        self.repos: dict[str, dict[str, Any]] = {}
        self.git_url = ""  # where clone URLs point (a real git server)
        self.pulls: list[dict[str, Any]] = []
        self.seed: Any = None  # called as seed(owner, repo) to give a repository its first commit
        self.app = self._build()

    def _repo(self, owner: str, body: dict[str, Any]) -> Response:
        name = str(body.get("name") or "")
        if not name or f"{owner}/{name}" in self.repos:
            return JSONResponse(
                {"message": "Repository creation failed.", "errors": [{"field": "name"}]}, status_code=422
            )
        repo = {
            "full_name": f"{owner}/{name}",
            "name": name,
            "private": body.get("private", True),
            "description": body.get("description", ""),
            "html_url": f"{self.git_url}/{owner}/{name}",
            "clone_url": f"{self.git_url}/{owner}/{name}.git",
            "topics": [],
        }
        self.repos[repo["full_name"]] = repo
        return JSONResponse(repo, status_code=201)

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"token {self.token}"

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v3/users/{owner}")
        def owner(owner: str, request: Request) -> Response:
            if not self._authorised(request):
                return JSONResponse({"message": "Bad credentials"}, status_code=401)
            kind = "Organization" if owner in self.orgs else "User"
            return JSONResponse({"login": owner, "type": kind})

        @app.post("/api/v3/orgs/{org}/repos")
        async def org_repo(org: str, request: Request) -> Response:
            if not self._authorised(request):
                return JSONResponse({"message": "Bad credentials"}, status_code=401)
            return self._repo(org, await request.json())

        @app.post("/api/v3/user/repos")
        async def user_repo(request: Request) -> Response:
            if not self._authorised(request):
                return JSONResponse({"message": "Bad credentials"}, status_code=401)
            return self._repo("octocat", await request.json())

        @app.get("/api/v3/repos/{owner}/{repo}")
        def get_repo(owner: str, repo: str, request: Request) -> Response:
            """Every repository asked for exists (seeded with one commit on main), like a team's real ones."""
            if not self._authorised(request):
                return JSONResponse({"message": "Bad credentials"}, status_code=401)
            key = f"{owner}/{repo}"
            if key not in self.repos:
                self._repo(owner, {"name": repo})
                if self.seed is not None:
                    self.seed(owner, repo)
            return JSONResponse({**self.repos[key], "default_branch": "main"})

        @app.post("/api/v3/repos/{owner}/{repo}/pulls")
        async def pulls(owner: str, repo: str, request: Request) -> Response:
            found = self.repos.get(f"{owner}/{repo}")
            if found is None or not self._authorised(request):
                return JSONResponse({"message": "Not Found"}, status_code=404)
            body = await request.json()
            number = len(self.pulls) + 1
            pull = {"number": number, "html_url": f"{found['html_url']}/pull/{number}", **body}
            self.pulls.append(pull)
            return JSONResponse(pull, status_code=201)

        @app.put("/api/v3/repos/{owner}/{repo}/topics")
        async def topics(owner: str, repo: str, request: Request) -> Response:
            found = self.repos.get(f"{owner}/{repo}")
            if found is None or not self._authorised(request):
                return JSONResponse({"message": "Not Found"}, status_code=404)
            found["topics"] = (await request.json())["names"]
            return JSONResponse({"names": found["topics"]})

        @app.get("/login/oauth/authorize")
        def authorize(request: Request) -> Response:
            query = request.query_params
            if query.get("client_id") != self.client_id:
                return JSONResponse({"error": "bad client"}, status_code=400)
            code = secrets.token_urlsafe(8)
            self.codes[code] = query["code_challenge"]
            return RedirectResponse(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")

        @app.post("/login/oauth/access_token")
        def access_token(
            client_id: str = Form(...),
            client_secret: str = Form(...),
            code: str = Form(...),
            code_verifier: str = Form(""),
        ) -> dict[str, str]:
            challenge = self.codes.pop(code, None)
            if client_id != self.client_id or client_secret != self.client_secret or challenge is None:
                return {"error": "bad_verification_code"}
            if _challenge(code_verifier) != challenge:
                return {"error": "bad_verification_code"}
            return {"access_token": "gho_fake", "token_type": "bearer", "scope": "read:user,user:email"}

        @app.get("/api/v3/user")
        def user(request: Request) -> Response:
            if request.headers.get("authorization") != "Bearer gho_fake":
                return JSONResponse({"message": "Bad credentials"}, status_code=401)
            return JSONResponse(self.user)

        @app.get("/api/v3/user/emails")
        def emails(request: Request) -> Response:
            if request.headers.get("authorization") != "Bearer gho_fake":
                return JSONResponse({"message": "Bad credentials"}, status_code=401)
            return JSONResponse(self.emails)

        return app


class Upstream:
    """A third-party API behind the proxy: echoes what reached it, and can be slow, large or cookie-setting."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
        async def echo(path: str, request: Request) -> Response:
            body = await request.body()
            record = {
                "method": request.method,
                "path": "/" + path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": body.decode(errors="replace"),
            }
            self.seen.append(record)
            if path == "slow":
                import asyncio

                await asyncio.sleep(3)
            if path == "large":
                return Response(b"x" * 5000, media_type="application/octet-stream")
            headers = {"Set-Cookie": "upstream=1", "X-Upstream-Secret": "leak", "Connection": "close", "ETag": '"v1"'}
            return JSONResponse(record, headers=headers)

        return app
