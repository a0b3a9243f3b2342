"""The demo catalog with its docs built and indexed, served on loopback, on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.app import Runtime
from callboard.catalog.filters import Condition
from callboard.demo import demo_config
from tests.support import AUTH, Server, database_for, make_runtime


@dataclass
class IndexedDemo:
    runtime: Runtime
    url: str
    http: httpx.Client

    def search(self, term: str, **params: Any) -> dict[str, Any]:
        response = self.http.get("/api/search/query", params={"term": term, **params})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def build_docs(runtime: Runtime) -> int:
    """Build every docs site of the catalog (in parallel, as the portal would) and wait for them."""
    with_docs = ((Condition("metadata.annotations.backstage.io/techdocs-ref", None),),)
    entities = runtime.catalog.list_entities(with_docs)
    for entity in entities:
        runtime.techdocs.state(entity)
    for entity in entities:
        runtime.techdocs.wait(entity, 180)
    return len(entities)


@contextlib.contextmanager
def indexed_demo(tmp: Path, backend: str, config_changes: dict[str, Any] | None = None) -> Iterator[IndexedDemo]:
    with database_for(backend, tmp) as database:
        config: dict[str, Any] = demo_config(tmp / "data")
        config["backend"]["database"] = database
        config.update(config_changes or {})
        runtime = make_runtime(config, tmp)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(120)
            runtime.indexer.run_once()
            build_docs(runtime)
            runtime.indexer.run_once()
            runtime.search.vocabulary.build_now()
            with Server(runtime.web) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
                yield IndexedDemo(runtime, server.url, http)
        finally:
            runtime.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexedDemo]:
    with indexed_demo(tmp_path_factory.mktemp(f"search-{request.param}"), request.param) as running:
        yield running
