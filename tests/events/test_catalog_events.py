"""The catalog publishes what changed after each commit: ``catalog.entity.changed`` and ``.removed`` with the
entity refs, heard in the process at once and by other replicas through the events table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from callboard.events.bus import EventBus
from callboard.sdk import CATALOG_ENTITY_CHANGED, CATALOG_ENTITY_REMOVED
from tests.catalog.fixtures import config
from tests.support import database_for, make_runtime, write

TWO = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger}
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: invoices}
spec: {type: service, lifecycle: production, owner: team-a}
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_changes_and_removals_are_published_after_commit(backend: str, tmp_path: Path) -> None:
    file = write(tmp_path / "repo" / "catalog-info.yaml", TWO)
    with database_for(backend, tmp_path) as database:
        runtime = make_runtime(config(file, database), tmp_path)
        try:
            heard: list[tuple[str, Mapping[str, Any]]] = []
            runtime.events.subscribe("catalog.*", lambda topic, payload: heard.append((topic, payload)))
            other_replica = EventBus(runtime.database, "other")
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            changed = {ref for topic, p in heard if topic == CATALOG_ENTITY_CHANGED for ref in p["entityRefs"]}
            assert {"component:default/ledger", "component:default/invoices"} <= changed
            heard.clear()

            runtime.engine.run_until_idle(60)  # nothing changed: nothing is published
            assert heard == []

            write(file, TWO.split("---\n", maxsplit=1)[0])
            runtime.catalog.refresh("component:default/ledger")
            runtime.engine.run_until_idle(60)
            runtime.engine.delete_orphans()
            removed = {ref for topic, p in heard if topic == CATALOG_ENTITY_REMOVED for ref in p["entityRefs"]}
            assert removed == {"component:default/invoices"}

            seen_elsewhere: list[str] = []
            other_replica.subscribe(CATALOG_ENTITY_REMOVED, lambda topic, p: seen_elsewhere.extend(p["entityRefs"]))
            other_replica.poll()
            assert seen_elsewhere == ["component:default/invoices"]
        finally:
            runtime.close()
