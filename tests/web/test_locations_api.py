"""Moving a registered location (PUT /locations/{id}) and finding locations by predicate (POST
/locations/by-query), as Backstage's catalog answers them, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.app import Runtime
from callboard.core.permissions import SYSTEM
from tests.catalog.fixtures import config, write_catalog
from tests.support import TEST_TOKEN, Server, database_for, make_runtime, write

READER_TOKEN = "locations-reader-token-12345"


def component(name: str) -> str:
    return (
        f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n"
    )


@dataclass
class Portal:
    runtime: Runtime
    api: httpx.Client
    reader: httpx.Client
    folder: Path

    def settle(self) -> None:
        self.runtime.engine.run_until_idle(60)

    def names(self) -> set[str]:
        return {entity["metadata"]["name"] for entity in self.api.get("/entities").json()}


@pytest.fixture(params=["sqlite", "postgresql"])
def portal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Portal]:
    root = write_catalog(tmp_path / "repo")
    write(tmp_path / "first" / "catalog-info.yaml", component("first-service"))
    write(tmp_path / "second" / "catalog-info.yaml", component("second-service"))
    with database_for(str(request.param), tmp_path) as database:
        cfg: dict[str, Any] = config(root, database, allowedLocationTypes=["url", "file"])
        cfg["backend"]["auth"] = {
            "externalAccess": [
                {"type": "static", "options": {"token": TEST_TOKEN, "subject": "service:tests"}},
                {"type": "static", "options": {"token": READER_TOKEN, "subject": "service:reader"}},
            ]
        }
        cfg["permission"] = {
            "rules": [
                {"permission": "catalog.location.*", "principals": ["service:reader"], "decision": "deny"},
            ]
        }
        runtime = make_runtime(cfg, tmp_path)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            with Server(runtime.web) as server:
                base = f"{server.url}/api/catalog"
                with (
                    httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TEST_TOKEN}"}, timeout=30) as api,
                    httpx.Client(base_url=base, headers={"Authorization": f"Bearer {READER_TOKEN}"}) as reader,
                ):
                    yield Portal(runtime, api, reader, tmp_path)
        finally:
            runtime.close()


def register(portal: Portal, folder: str) -> dict[str, str]:
    response = portal.api.post(
        "/locations", json={"type": "file", "target": str(portal.folder / folder / "catalog-info.yaml")}
    )
    assert response.status_code == 201, response.text
    portal.settle()
    location: dict[str, str] = response.json()["location"]
    return location


def test_a_moved_location_keeps_its_entity_and_brings_what_its_new_target_holds(portal: Portal) -> None:
    location = register(portal, "first")
    assert "first-service" in portal.names()
    target = str(portal.folder / "second" / "catalog-info.yaml")
    response = portal.api.put(f"/locations/{location['id']}", json={"type": "file", "target": target})
    assert response.status_code == 200, response.text
    assert response.json() == {**location, "target": target}
    portal.settle()
    names = portal.names()
    assert "second-service" in names and "first-service" not in names  # what only the old target held is gone
    moved_entity = portal.api.get(f"/entities/by-name/location/default/{location['entityRef'].split('/')[1]}")
    assert moved_entity.json()["spec"]["target"] == target  # the same Location entity, now reading the new target
    assert portal.api.get(f"/locations/{location['id']}").json() == {**location, "target": target}
    entries = portal.runtime.audit.read(SYSTEM, actions=["catalog.location.update"])
    assert [(entry["target"], entry["details"]["was"]) for entry in entries] == [
        (f"file:{target}", f"file:{portal.folder / 'first' / 'catalog-info.yaml'}")
    ]


def test_moving_is_refused_with_the_reason(portal: Portal) -> None:
    location = register(portal, "first")
    static = next(item["data"] for item in portal.api.get("/locations").json() if item["data"]["id"] != location["id"])
    second = register(portal, "second")

    def put(location_id: str, body: dict[str, str]) -> tuple[int, str]:
        answer = portal.api.put(f"/locations/{location_id}", json=body)
        return answer.status_code, answer.json()["error"]["message"]

    status, message = put(static["id"], {"type": "file", "target": second["target"] + ".x"})
    assert status == 403 and "app-config" in message
    status, message = put(location["id"], {"type": "file", "target": second["target"]})
    assert status == 409 and "already exists" in message
    status, message = put(location["id"], {"type": "git", "target": "https://example.com/repo"})
    assert status == 400 and "allowed type" in message
    status, message = put("6f1c3a52-8a0b-4c57-9d55-1f0c9f3e2b11", {"type": "file", "target": "/x.yaml"})
    assert status == 404 and "6f1c3a52-8a0b-4c57-9d55-1f0c9f3e2b11" in message
    assert portal.api.put(f"/locations/{location['id']}", json={"type": "file"}).status_code == 400
    # Without the right to register locations, no move (Backstage checks catalog.location.create).
    assert portal.reader.put(f"/locations/{location['id']}", json=second).status_code == 403
    assert portal.api.get(f"/locations/{location['id']}").json() == location


def test_locations_by_query_refuses_what_it_cannot_answer(portal: Portal) -> None:
    def refused(body: dict[str, Any]) -> str:
        answer = portal.api.post("/locations/by-query", json=body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["name"] == "InputError"
        message: str = answer.json()["error"]["message"]
        return message

    assert refused({"limit": 0}) == "Limit must be a positive integer >= 1"
    assert refused({"cursor": ""}) == "Cursor cannot be empty"
    assert "Malformed cursor" in refused({"cursor": "not base64!"})
    assert "expected key to be 'id', 'type', 'target', or 'entityRef', got 'kind'" in refused({"query": {"kind": "x"}})
    assert "unknown operator" in refused({"query": {"$nope": []}})
    assert "$all must be a list" in refused({"query": {"$all": {"type": "url"}}})


def test_locations_by_query_pages_and_hides_from_who_may_not_read_them(portal: Portal) -> None:
    registered = [register(portal, "first"), register(portal, "second")]
    page = portal.api.post("/locations/by-query", json={"query": {"type": "FILE"}, "limit": 2}).json()
    assert page["totalItems"] == 3  # the one from app-config, and the two registered
    rest = portal.api.post("/locations/by-query", json={"cursor": page["pageInfo"]["nextCursor"]}).json()
    assert rest["pageInfo"] == {}
    ids = [item["id"] for item in page["items"] + rest["items"]]
    assert ids == sorted(ids) and len(ids) == 3
    chosen = portal.api.post("/locations/by-query", json={"query": {"entityRef": registered[1]["entityRef"]}}).json()
    assert chosen["items"] == [registered[1]]
    # A caller who may not read locations gets an empty page, as from Backstage (not an error).
    assert portal.reader.post("/locations/by-query", json={}).json() == {"items": [], "totalItems": 0, "pageInfo": {}}
    assert portal.reader.get("/locations").status_code == 403


def test_registering_again_with_on_conflict_refresh_answers_the_location(portal: Portal) -> None:
    location = register(portal, "first")
    body = {"type": "file", "target": location["target"]}
    assert portal.api.post("/locations", json=body).status_code == 409
    again = portal.api.post("/locations", params={"onConflict": "refresh"}, json=body)
    assert again.status_code == 201
    assert again.json() == {"location": location, "entities": []}
    assert [entry["target"] for entry in portal.runtime.audit.read(SYSTEM, actions=["catalog.location.refresh"])] == [
        f"file:{location['target']}"
    ]
