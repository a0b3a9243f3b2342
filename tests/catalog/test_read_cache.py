"""Counts and facet counts are reused only while the catalog is unchanged: any write or delete of a final
entity, from any process, raises the generation, and the next answer is computed again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from callboard.app import Runtime
from callboard.catalog.filters import Condition
from callboard.catalog.read_cache import ReadCache
from tests.catalog.fixtures import config, write_catalog
from tests.support import database_for, make_runtime

COMPONENTS = ((Condition("kind", ("component",)),),)


@pytest.fixture(params=["sqlite", "postgresql"])
def runtimes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    """Two runtimes on one database, as two replicas: one writes, the other answers."""
    root = write_catalog(tmp_path / "repo")
    with database_for(str(request.param), tmp_path) as database:
        writer = make_runtime(config(root, database), tmp_path / "writer")
        reader = make_runtime(config(root, database), tmp_path / "reader")
        try:
            writer.catalog.sync_locations()
            writer.engine.run_until_idle(60)
            yield writer, reader
        finally:
            reader.close()
            writer.close()


def test_another_replicas_write_and_delete_are_seen_at_once(runtimes: tuple[Runtime, Runtime]) -> None:
    writer, reader = runtimes
    assert reader.catalog.query_entities(COMPONENTS).total == 3
    types = reader.catalog.facets(["spec.type"], COMPONENTS)["spec.type"]
    assert types == [{"value": "service", "count": 2}, {"value": "website", "count": 1}]
    assert reader.catalog.query_entities(COMPONENTS).total == 3  # answered again from the cache
    uid = writer.catalog.entity_by_name("component", "default", "artist-web")["metadata"]["uid"]
    writer.catalog.delete_by_uid(uid)
    assert reader.catalog.query_entities(COMPONENTS).total == 2
    assert reader.catalog.facets(["spec.type"], COMPONENTS)["spec.type"] == [{"value": "service", "count": 2}]
    writer.catalog.apply_provider(
        "test-provider",
        [
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {"name": "pushed"},
                "spec": {"type": "website", "lifecycle": "production", "owner": "team-a"},
            }
        ],
    )
    writer.engine.run_until_idle(60)
    assert reader.catalog.query_entities(COMPONENTS).total == 3
    assert {"value": "website", "count": 1} in reader.catalog.facets(["spec.type"], COMPONENTS)["spec.type"]


def test_the_cache_keeps_the_latest_answers_and_nothing_without_a_generation() -> None:
    cache = ReadCache(capacity=2)
    calls: list[str] = []

    def compute(name: str) -> str:
        calls.append(name)
        return name.upper()

    assert cache.get("a", 1, lambda: compute("a")) == "A"
    assert cache.get("a", 1, lambda: compute("a")) == "A"
    assert cache.get("a", 2, lambda: compute("a")) == "A"
    cache.get("b", 2, lambda: compute("b"))
    cache.get("c", 2, lambda: compute("c"))  # "a" is now the least recently used and goes
    cache.get("a", 2, lambda: compute("a"))
    cache.get("x", -1, lambda: compute("x"))
    cache.get("x", -1, lambda: compute("x"))
    assert calls == ["a", "a", "b", "c", "a", "x", "x"]


def test_known_facets_are_answered_without_a_query_only_while_the_catalog_is_unchanged(
    runtimes: tuple[Runtime, Runtime],
) -> None:
    writer, reader = runtimes
    assert reader.catalog.cached_facets(["spec.type"], COMPONENTS) is None  # nothing counted yet
    counted = reader.catalog.facets(["spec.type"], COMPONENTS)
    assert reader.catalog.cached_facets(["spec.type"], COMPONENTS) == counted
    assert reader.catalog.cached_facets(["spec.type", "spec.lifecycle"], COMPONENTS) is None  # one not counted
    uid = writer.catalog.entity_by_name("component", "default", "artist-web")["metadata"]["uid"]
    writer.catalog.delete_by_uid(uid)
    assert reader.catalog.cached_facets(["spec.type"], COMPONENTS) is None  # the other replica changed it
    assert reader.catalog.facets(["spec.type"], COMPONENTS)["spec.type"] == [{"value": "service", "count": 2}]
