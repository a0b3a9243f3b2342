"""A next-page cursor remembers where its page ended, not how many entities it skipped: an entity added before
that place between two pages does not push an entity already seen onto the next page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callboard.catalog.page_order import OrderField
from tests.catalog.fixtures import config, write_catalog
from tests.support import database_for, make_runtime

AAA = {
    "apiVersion": "backstage.io/v1alpha1",
    "kind": "Component",
    "metadata": {"name": "aaa", "namespace": "default", "uid": "00000000-0000-4000-8000-000000000001"},
    "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_entity_added_before_the_cursor_does_not_repeat_one_already_seen(backend: str, tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "repo")
    with database_for(backend, tmp_path) as database:
        runtime = make_runtime(config(root, database), tmp_path)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            catalog = runtime.catalog
            first = catalog.query_entities((), order=[OrderField("metadata.name")], limit=4)
            assert first.next_cursor
            # "aaa" sorts before every name seen so far.
            catalog.import_entities([json.dumps(AAA)], source="test")
            runtime.engine.run_until_idle(60)
            second = catalog.query_entities((), cursor=first.next_cursor)
        finally:
            runtime.close()
    names = [e["metadata"]["name"] for e in first.items] + [e["metadata"]["name"] for e in second.items]
    assert len(names) == len(set(names)), names
    assert "aaa" not in names
