from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.catalog.fixtures import config, write_catalog
from tests.support import Server, client, database_for, make_runtime


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def api(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A served catalog holding the example organisation, shared by the read-only tests of a module."""
    tmp = tmp_path_factory.mktemp(backend)
    root = write_catalog(tmp / "repo")
    with database_for(backend, tmp) as database:
        runtime = make_runtime(config(root, database), tmp)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            with Server(runtime.web) as server, client(server) as http:
                yield http
        finally:
            runtime.close()
