"""Backstage's TechDocs backend routes (``/api/techdocs``): the sync event stream builds the docs, metadata and
stored files come in Backstage's shapes, built HTML cannot run script in the portal's origin, and docs are
only as readable as their entity."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from callboard.app import Runtime
from tests.catalog.fixtures import config
from tests.support import AUTH, TEST_TOKEN, Server, make_runtime, write

CATALOG = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    backstage.io/techdocs-ref: dir:.
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: no-docs}
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: secret-docs
  annotations:
    backstage.io/techdocs-ref: dir:./secret
spec: {type: service, lifecycle: production, owner: team-b}
"""


def events(text: str) -> list[tuple[str, str]]:
    found = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        found.append((lines.get("event", ""), lines.get("data", "")))
    return found


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, httpx.Client, str]]:
    tmp = tmp_path_factory.mktemp("techdocs-api")
    repo = tmp / "repo"
    write(repo / "catalog-info.yaml", CATALOG)
    write(repo / "mkdocs.yml", "site_name: Payments\nnav:\n  - Home: index.md\n")
    write(repo / "docs" / "index.md", "# Payments\n\nHow we take money.\n")
    cfg = config(repo / "catalog-info.yaml", {"connection": str(tmp / "db.sqlite")})
    # Someone who may read only team-a's entities: secret-docs (team-b's) does not exist for them.
    cfg["permission"] = {
        "rules": [
            {
                "permission": "catalog.entity.read",
                "principals": ["service:limited"],
                "conditions": {"hasSpec": {"owner": "team-a"}},
            }
        ]
    }
    cfg["backend"]["auth"] = {  # type: ignore[index]
        "externalAccess": [
            {"type": "static", "options": {"token": TEST_TOKEN, "subject": "service:tests"}},
            {"type": "static", "options": {"token": "limited-token-0123456789", "subject": "service:limited"}},
        ]
    }
    runtime = make_runtime(cfg, tmp)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        with Server(runtime.web) as server, httpx.Client(base_url=server.url + "/api/techdocs", timeout=120) as http:
            yield runtime, http, server.url
    finally:
        runtime.close()


def test_sync_builds_the_docs_then_says_nothing_changed(api: tuple[Runtime, httpx.Client, str]) -> None:
    _, http, _ = api
    assert http.get("/metadata/techdocs/default/component/payments", headers=AUTH).status_code == 404
    first = http.get("/sync/default/component/payments", headers={**AUTH, "accept": "text/event-stream"})
    assert first.headers["content-type"].startswith("text/event-stream")
    found = events(first.text)
    assert found[0][0] == "log" and found[-1] == ("finish", '{"updated": true}')
    again = events(http.get("/sync/default/component/payments", headers=AUTH).text)
    assert again == [("finish", '{"updated": false}')]
    metadata = http.get("/metadata/techdocs/default/component/payments", headers=AUTH).json()
    assert metadata["site_name"] == "Payments" and metadata["etag"]


def test_entity_metadata_and_stored_files(api: tuple[Runtime, httpx.Client, str]) -> None:
    _, http, _ = api
    http.get("/sync/default/component/payments", headers=AUTH)
    entity = http.get("/metadata/entity/default/component/payments", headers=AUTH).json()
    assert entity["metadata"]["name"] == "payments"
    assert entity["locationMetadata"] == {"type": "dir", "target": "."}
    page = http.get("/static/docs/default/component/payments/index.html", headers=AUTH)
    assert page.status_code == 200 and "How we take money." in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "sandbox" in page.headers["content-security-policy"]
    assert http.get("/static/docs/default/component/payments/", headers=AUTH).status_code == 200  # index.html
    index = http.get("/static/docs/default/component/payments/search/search_index.json", headers=AUTH).json()
    assert any("money" in doc["text"] for doc in index["docs"])
    assert http.get("/static/docs/default/component/payments/../../../../etc/passwd", headers=AUTH).status_code == 404
    assert http.get("/static/docs/default/component/payments/nope.html", headers=AUTH).status_code == 404
    missing = http.get("/metadata/entity/default/component/no-docs", headers=AUTH)
    assert missing.status_code == 404 and "techdocs-ref" in missing.json()["error"]["message"]


def test_docs_are_as_readable_as_their_entity(api: tuple[Runtime, httpx.Client, str]) -> None:
    _, http, _ = api
    limited = {"Authorization": "Bearer limited-token-0123456789"}
    assert http.get("/metadata/entity/default/component/payments", headers=limited).status_code == 200
    for path in (
        "/metadata/entity/default/component/secret-docs",
        "/metadata/techdocs/default/component/secret-docs",
        "/sync/default/component/secret-docs",
        "/static/docs/default/component/secret-docs/index.html",
    ):
        assert http.get(path, headers=limited).status_code == 404, path
        assert http.get(path).status_code == 401, path
