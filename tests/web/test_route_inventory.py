"""Every route needs an identity unless it is declared public: a new route cannot be left open by accident."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from callboard.app import Runtime
from callboard.web.auth import is_public
from tests.catalog.fixtures import config, write_catalog
from tests.plugins import probe_plugin
from tests.support import Server, make_runtime

#: The routes anyone may call, each with why. Adding to this list is a security decision.
DECLARED_PUBLIC = {
    "/.backstage/health/v1/liveness": "load balancers probe without credentials",
    "/.backstage/health/v1/readiness": "load balancers probe without credentials",
    "/.well-known/jwks.json": "public keys, for services verifying Callboard tokens",
    "/signin": "the sign-in page",
    "/signin/guest": "guest sign-in (CSRF-checked; refused unless guest is configured, on loopback)",
    "/api/auth/{provider}/start": "starts a sign-in",
    "/api/auth/{provider}/handler/frame": "the provider's callback",
    "/api/auth/session": "answers 401 itself when nobody is signed in",
    "/ui/highlight.css": "a stylesheet",
    "/api/probe/health": "a plugin's route it declared public (PluginRoutes.public); its others need identity",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, str]]:
    tmp = tmp_path_factory.mktemp("routes")
    runtime = make_runtime(
        config(write_catalog(tmp / "repo"), {"connection": str(tmp / "db.sqlite")}),
        tmp,
        plugins={"probe": probe_plugin},
    )
    try:
        with Server(runtime.web) as server:
            yield runtime, server.url
    finally:
        runtime.close()


class Found(NamedTuple):
    path: str
    methods: set[str]


def api_routes(routes: list[Any], prefix: str = "") -> list[Found]:
    """Every route, including those of included routers (FastAPI wraps them and keeps their prefix, such as a
    plugin's ``/api/<id>``, in the include context)."""
    found: list[Found] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(Found(prefix + route.path, set(route.methods)))
        elif hasattr(route, "original_router"):
            inner = getattr(getattr(route, "include_context", None), "prefix", "")
            found.extend(api_routes(route.original_router.routes, prefix + inner))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}:]+(:path)?\}", "x", path)


def test_every_route_without_identity_is_refused_unless_declared_public(served: tuple[Runtime, str]) -> None:
    runtime, url = served
    routes = api_routes(runtime.web.routes)
    assert len(routes) > 40, "the inventory should see every route"
    open_routes = []
    for route in routes:
        for method in sorted(route.methods - {"HEAD"}):
            response = httpx.request(method, url + concrete(route.path), headers={"accept": "application/json"})
            refused = response.status_code == 401 and response.json()["error"]["name"] == "AuthenticationError"
            if not refused:
                open_routes.append(f"{method} {route.path} -> {response.status_code}")
                assert route.path in DECLARED_PUBLIC, (
                    f"{method} {route.path} answered {response.status_code} without identity"
                )
    assert sorted({line.split()[1] for line in open_routes}) == sorted(DECLARED_PUBLIC)


def test_pages_without_identity_redirect_to_sign_in(served: tuple[Runtime, str]) -> None:
    _, url = served
    for path in ("/", "/catalog", "/catalog/default/component/artist-web/inspect", "/admin/audit", "/catalog-import"):
        response = httpx.get(url + path, headers={"accept": "text/html"})
        assert response.status_code == 303 and response.headers["location"].startswith("/signin?return="), path


def test_static_mounts_are_public_and_serve_only_files(served: tuple[Runtime, str]) -> None:
    runtime, url = served
    mounts = [route.path for route in runtime.web.routes if isinstance(route, Mount)]
    assert mounts == ["/static"] and is_public("/static/callboard.css")
    assert httpx.get(url + "/static/callboard.css").status_code == 200
    traversal = httpx.get(url + "/static/%2e%2e/app.py")
    assert traversal.status_code == 404 and "import" not in traversal.text


def test_the_declared_list_names_real_routes(served: tuple[Runtime, str]) -> None:
    runtime, _ = served
    paths = {route.path for route in api_routes(runtime.web.routes)}
    assert set(DECLARED_PUBLIC) <= paths
    assert Path(__file__).name  # the list lives here, next to the test that enforces it
