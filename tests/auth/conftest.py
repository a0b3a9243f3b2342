"""A portal with real sign-in providers (local fakes), proxy endpoints in front of a real upstream, and a policy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from callboard.app import Runtime
from callboard.core.identity import Identity
from tests.auth.fakes import FakeGithub, FakeOidc, Upstream
from tests.catalog.fixtures import config, write_catalog
from tests.support import TEST_TOKEN, Server, free_port, make_runtime

SECRET = "s3cr3t-value-xyz"
LIMITED_TOKEN = "limited-token-123456"
CI_TOKEN = "ci-token-12345678"


@dataclass
class Secured:
    url: str
    runtime: Runtime
    oidc: FakeOidc
    github: FakeGithub
    upstream: Upstream

    def token_for(self, subject: str, *ownership: str, lifetime: float | None = None) -> str:
        identity = Identity("user", subject, (subject, *ownership), subject, "test")
        return self.runtime.auth.tokens.issue(identity, lifetime)

    def client(self, token: str | None = None, **options: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **options)


def portal_config(
    root: Any, database: dict[str, Any], port: int, oidc: str, github: str, upstream: str
) -> dict[str, Any]:
    cfg: dict[str, Any] = config(root, database)
    cfg["app"] = {"baseUrl": f"http://127.0.0.1:{port}"}
    cfg["backend"]["auth"] = {
        "externalAccess": [
            {"type": "static", "options": {"token": TEST_TOKEN, "subject": "service:tests"}},
            {"type": "static", "options": {"token": LIMITED_TOKEN, "subject": "service:limited"}},
            {"type": "static", "options": {"token": CI_TOKEN, "subject": "service:ci"}},
        ]
    }
    cfg["auth"] = {
        "environment": "production",
        "providers": {
            "oidc": {
                "production": {
                    "metadataUrl": f"{oidc}/.well-known/openid-configuration",
                    "clientId": "callboard",
                    "clientSecret": "oidc-secret",
                    "signIn": {"resolvers": [{"resolver": "emailMatchingUserEntityProfileEmail"}]},
                }
            },
            "github": {
                "production": {
                    "clientId": "gh-client",
                    "clientSecret": "gh-secret",
                    "enterpriseInstanceUrl": github,
                    "apiBaseUrl": f"{github}/api/v3",
                    "signIn": {"resolvers": [{"resolver": "usernameMatchingUserEntityName"}]},
                }
            },
        },
    }
    cfg["permission"] = {
        "rules": [
            {"permission": "catalog.entity.delete", "principals": ["user:*"], "conditions": {"isEntityOwner": True}},
            {
                "permission": "catalog.entity.read",
                "principals": ["service:limited"],
                "conditions": {"kind": ["component"]},
            },
            {"permission": "catalog.location.delete", "principals": ["service:limited"], "decision": "deny"},
            {"permission": "proxy.ops", "principals": ["group:default/team-b", "service:ci"]},
            {"permission": "proxy.ops", "decision": "deny"},
            {"permission": "audit.read", "principals": ["service:ci"]},
            {"permission": "scaffolder.task.create", "principals": ["service:limited"], "decision": "deny"},
        ]
    }
    cfg["proxy"] = {
        "endpoints": {
            "/echo": {"target": upstream, "headers": {"X-Api-Key": SECRET}},
            "/echo-rw": {"target": upstream, "allowedMethods": ["GET", "POST"], "allowedHeaders": ["X-Request-Id"]},
            "/fwd": {"target": upstream, "credentials": "forward"},
            "/open": {"target": upstream, "credentials": "dangerously-allow-unauthenticated"},
            "/ops": {"target": upstream},
            "/tiny": {"target": upstream, "maxResponseBytes": 1000, "timeoutSeconds": 1},
            "/down": {"target": "http://127.0.0.1:9", "headers": {"X-Api-Key": SECRET}},
            "/rewrite": {"target": f"{upstream}/base", "pathRewrite": {"^/old": "/new"}},
        }
    }
    return cfg


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    tmp = tmp_path_factory.mktemp("secured")
    oidc, github, upstream = FakeOidc(), FakeGithub(), Upstream()
    with Server(oidc.app) as oidc_server, Server(github.app) as github_server, Server(upstream.app) as upstream_server:
        oidc.issuer = oidc_server.url
        port = free_port()
        root = write_catalog(tmp / "repo")
        cfg = portal_config(
            root, {"connection": str(tmp / "db.sqlite")}, port, oidc_server.url, github_server.url, upstream_server.url
        )
        runtime = make_runtime(cfg, tmp)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            with Server(runtime.web, port=port) as server:
                yield Secured(server.url, runtime, oidc, github, upstream)
        finally:
            runtime.close()
