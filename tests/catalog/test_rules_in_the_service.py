"""Rules about what may be removed hold wherever the request comes from: the REST API and the pages refuse
the same things with the same message, because the secured catalog holds them, not a page's handler."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from callboard.app import Runtime
from tests.catalog.fixtures import config, write_catalog
from tests.support import AUTH, Server, database_for, make_runtime


@pytest.fixture(params=["sqlite", "postgresql"])
def readonly(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Runtime, httpx.Client]]:
    root = write_catalog(tmp_path / "repo")
    with database_for(str(request.param), tmp_path) as database:
        runtime = make_runtime(config(root, database, readonly=True), tmp_path)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            with Server(runtime.web) as server, httpx.Client(base_url=server.url, headers=AUTH) as http:
                yield runtime, http
        finally:
            runtime.close()


def test_a_read_only_catalog_refuses_deleting_an_entity_through_the_api_and_the_page(
    readonly: tuple[Runtime, httpx.Client],
) -> None:
    runtime, http = readonly
    uid = runtime.catalog.entity_by_name("system", "default", "artists")["metadata"]["uid"]
    refused = http.delete(f"/api/catalog/entities/by-uid/{uid}")
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["message"] == (
        "This catalog is in read-only mode (catalog.readonly); entities cannot be deleted"
    )
    page = http.post(
        "/catalog/default/system/artists/unregister", data={"action": "entity"}, headers={"accept": "text/html"}
    )
    assert page.status_code == 403 and "entities cannot be deleted" in page.text
    assert http.get("/api/catalog/entities/by-name/system/default/artists").status_code == 200


def test_an_entity_from_app_config_has_no_location_to_unregister(readonly: tuple[Runtime, httpx.Client]) -> None:
    _, http = readonly
    page = http.post(
        "/catalog/default/system/artists/unregister", data={"action": "location"}, headers={"accept": "text/html"}
    )
    assert page.status_code == 403
    assert "system:default/artists did not come from a registered location; delete the entity instead" in page.text
