"""Discovery over git remotes: cloned shallowly from a real git server on loopback, fetched again later."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from callboard.assembly import create_plugin_manager
from callboard.demo.sample_repos import sample_repos
from callboard.discovery.inference import Options
from callboard.discovery.scanner import MemoryState, Scanner
from callboard.discovery.sources import GitRemotes
from callboard.sources.git import GitCache
from tests.scaffolder.git_server import GitServer


def test_remotes_are_cloned_scanned_and_refreshed(tmp_path: Path) -> None:
    orders = next(repo for repo in sample_repos() if repo.name == "orders-service")
    with GitServer(tmp_path / "server") as server:
        server.seed("acme", "orders-service", orders.files)
        cache = GitCache(tmp_path / "cache", refresh_seconds=0)
        remotes = GitRemotes([f"{server.url}/acme/orders-service.git"], cache)
        scanner = Scanner(create_plugin_manager().discovery_detectors(), Options(default_owner="group:x"))
        state = MemoryState()
        first = scanner.scan("git", remotes.repositories(), state)
        component = next(e for e in first.entities if e["kind"] == "Component")
        assert component["metadata"]["name"] == "orders-service" and component["spec"]["owner"] == "group:commerce"
        location = component["metadata"]["annotations"]["backstage.io/managed-by-location"]
        assert location == f"url:{server.url}/acme/orders-service/blob/main/catalog-info.yaml"
        assert scanner.scan("git", remotes.repositories(), state).reused == 1
        server.seed("acme", "orders-service", {"CODEOWNERS": "* @acme/orders\n"})
        third = scanner.scan("git", remotes.repositories(), state)
        assert third.scanned == 1
        component = next(e for e in third.entities if e["kind"] == "Component")
        assert component["spec"]["owner"] == "group:orders"
    # The owner's evidence changed: the field says what it was, from which file, and since when.
    fields = json.loads(component["metadata"]["annotations"]["callboard.dev/provenance"])["fields"]
    changed = fields["spec.owner"]["changed"]
    assert changed["was"] == "group:commerce" and changed["wasFrom"].startswith("CODEOWNERS")
    assert changed["at"] == pytest.approx(time.time(), abs=60)
    assert "changed" not in fields["metadata.name"]
    assert [(run.scanned, run.unchanged) for run in state.runs("git")] == [(1, 0), (0, 1), (1, 0)]


def test_an_unreachable_remote_keeps_its_entities_and_does_not_stop_the_others(tmp_path: Path) -> None:
    orders = next(repo for repo in sample_repos() if repo.name == "orders-service")
    with GitServer(tmp_path / "server") as server:
        server.seed("acme", "orders-service", orders.files)
        server.seed("acme", "handbook", next(r for r in sample_repos() if r.name == "handbook").files)
        urls = [f"{server.url}/acme/handbook.git", f"{server.url}/acme/orders-service.git"]
        cache = GitCache(tmp_path / "cache", refresh_seconds=0)
        scanner = Scanner(create_plugin_manager().discovery_detectors(), Options(default_owner="group:x"))
        state = MemoryState()
        scanner.scan("git", GitRemotes(urls, cache).repositories(), state)
        server.seed("acme", "orders-service", {"CODEOWNERS": "* @acme/orders\n"})
        # The handbook's host moved away (nothing listens on port 9): same repository, unreachable.
        broken = [urls[0].replace(server.url, "http://127.0.0.1:9"), urls[1]]
        report = scanner.scan("git", GitRemotes(broken, cache).repositories(), state)
    names = {e["metadata"]["name"]: e for e in report.entities}
    assert report.errors["acme/handbook"].startswith("git clone failed")
    assert "handbook" in names and not report.missing  # kept, not orphaned
    assert names["orders-service"]["spec"]["owner"] == "group:orders"  # the reachable one was read
    last = state.runs("git")[0]
    assert list(last.failed) == ["acme/handbook"] and last.failed["acme/handbook"].startswith("git clone failed")
    assert last.deferred == [] and last.scanned == 1
