"""URL locations on a GitHub host: blob URLs are read through the raw host with the integration's token.

A local server stands in for GitHub's raw content host: it serves a repository's files only to requests that
carry the configured token, at ``/<owner>/<repo>/<ref>/<path>`` as raw.githubusercontent.com does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from callboard.catalog import query_store
from callboard.catalog.providers import LocationSpec, generated_location_entity
from tests.catalog.fixtures import ALL_KINDS
from tests.support import make_runtime

TOKEN = "ghp_test_token_123"
FILES = {
    "/acme/artists/main/catalog-info.yaml": (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: artist-web}\n"
        "spec: {type: website, lifecycle: production, owner: team-a}\n"
    ),
}


@pytest.fixture
def raw_host() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"path": self.path, "authorization": self.headers.get("Authorization", "")})
            if self.headers.get("Authorization") != f"token {TOKEN}":
                self.send_response(404)  # GitHub answers 404, not 401, for private content
                self.end_headers()
                return
            body = FILES.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            if body:
                self.wfile.write(body.encode())

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_blob_urls_are_read_from_the_raw_host_with_the_token(
    tmp_path: Path, raw_host: tuple[str, list[dict[str, str]]]
) -> None:
    raw_url, seen = raw_host
    config = {
        "backend": {"database": {"connection": str(tmp_path / "callboard.db")}},
        "integrations": {"github": [{"host": "github.example.test", "token": TOKEN, "rawBaseUrl": raw_url}]},
        "catalog": {
            "rules": [{"allow": ALL_KINDS}],
            "locations": [
                {"type": "url", "target": "https://github.example.test/acme/artists/blob/main/catalog-info.yaml"}
            ],
        },
    }
    runtime = make_runtime(config, tmp_path)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        entity = runtime.catalog.entity_by_name("component", "default", "artist-web")
    finally:
        runtime.close()
    assert seen == [{"path": "/acme/artists/main/catalog-info.yaml", "authorization": f"token {TOKEN}"}]
    annotations = entity["metadata"]["annotations"]
    blob = "https://github.example.test/acme/artists/blob/main/catalog-info.yaml"
    assert annotations["backstage.io/view-url"] == blob
    assert annotations["backstage.io/edit-url"] == blob.replace("/blob/", "/edit/")
    assert annotations["backstage.io/source-location"] == "url:https://github.example.test/acme/artists/blob/main/"


def test_hosts_without_integration_or_allow_rule_are_refused(tmp_path: Path) -> None:
    config = {
        "backend": {"database": {"connection": str(tmp_path / "callboard.db")}},
        "catalog": {
            "rules": [{"allow": ALL_KINDS}],
            "locations": [{"type": "url", "target": "https://elsewhere.example.test/catalog-info.yaml"}],
        },
    }
    runtime = make_runtime(config, tmp_path)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        root = generated_location_entity(LocationSpec("url", "https://elsewhere.example.test/catalog-info.yaml"))
        # Only the root is served, with the reason its target was not read in its status.
        (served,) = runtime.catalog.list_entities(())
        assert served["metadata"]["name"] == root["metadata"]["name"]
        assert "backend.reading.allow" in served["status"]["items"][0]["message"]
        with runtime.database.connect() as connection:
            state = query_store.processing_state(connection, f"location:default/{root['metadata']['name']}")
    finally:
        runtime.close()
    assert state is not None
    (error,) = state["errors"]
    assert error["name"] == "NotAllowedError"
    assert "backend.reading.allow" in error["message"] and "elsewhere.example.test" in error["message"]
