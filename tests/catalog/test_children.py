"""A location's entities wait in a temporary file past a threshold, and every one of them arrives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callboard.catalog import children as children_module
from callboard.catalog.children import ChildEntity, ChildList
from tests.catalog.fixtures import config
from tests.support import database_for, make_runtime, write


def child(number: int) -> ChildEntity:
    entity = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": f"c{number}"}}
    return ChildEntity.of(entity, "file:/catalog.yaml", f"component:default/c{number}")


def test_the_list_keeps_order_past_the_threshold_and_can_be_read_again(tmp_path: Path) -> None:
    spill = tmp_path / "data"
    listed = ChildList((child(number) for number in range(2500)), spill_after=100, spill_dir=spill)
    assert listed.spilled and len(listed) == 2500
    names = [item.entity["metadata"]["name"] for item in listed]
    assert names == [f"c{number}" for number in range(2500)]
    reading = iter(listed)
    for _ in range(150):  # a read abandoned in the file's first chunk leaves its position there
        next(reading)
    listed.extend(child(number) for number in range(2500, 3500))  # appending still goes on at the end
    assert [item.entity["metadata"]["name"] for item in listed] == [f"c{number}" for number in range(3500)]
    assert list(spill.iterdir()) == []  # the file has no name: nothing is left behind, even after a crash
    listed.close()


def test_a_short_list_stays_in_memory() -> None:
    listed = ChildList([child(1), child(2)])
    assert not listed.spilled
    assert [item.entity_ref for item in listed] == ["component:default/c1", "component:default/c2"]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    with database_for(str(request.param), tmp_path) as settings:
        yield settings


def test_a_location_larger_than_the_threshold_is_ingested_whole(
    tmp_path: Path, database: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(children_module, "SPILL_AFTER", 7)
    monkeypatch.setattr(children_module, "_SPILL_CHUNK", 5)
    files = []
    for number in range(6):
        documents = [
            f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: c{number}-{index}}}\n"
            f"spec: {{type: service, lifecycle: production, owner: team-{number}}}\n"
            for index in range(9)
        ]
        files.append(write(tmp_path / "repo" / f"part-{number}.yaml", "---\n".join(documents)).name)
    # A duplicate across files: the first file's entity stands, the second gets a visible conflict notice.
    write(
        tmp_path / "repo" / "duplicate.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata: {name: c0-0}\nspec: {type: website, lifecycle: production, owner: someone}\n",
    )
    targets = "\n".join(f"    - ./{name}" for name in [*files, "duplicate.yaml"])
    root = write(
        tmp_path / "repo" / "catalog-info.yaml",
        f"apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {{name: big}}\nspec:\n  targets:\n{targets}\n",
    )
    runtime = make_runtime(config(root, database), tmp_path)
    spilled: list[int] = []
    close = ChildList.close
    monkeypatch.setattr(
        ChildList, "close", lambda self: (spilled.append(len(self)) if self.spilled else None, close(self))
    )
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        names = {entity["metadata"]["name"] for entity in runtime.catalog.list_entities(())}
        assert {f"c{number}-{index}" for number in range(6) for index in range(9)} <= names
        assert spilled == [55]  # the location's entities went through the temporary file
        assert runtime.catalog.entity_by_name("component", "default", "c0-0")["spec"]["type"] == "service"
        location = runtime.catalog.entity_by_name("location", "default", "big")
        messages = [item["error"]["message"] for item in location["status"]["items"]]
        assert any("conflicting entityRef component:default/c0-0" in message for message in messages)
        # Read again unchanged: every entity stays, none is rewritten away.
        runtime.catalog.refresh("location:default/big")
        runtime.engine.run_until_idle(60)
        assert {entity["metadata"]["name"] for entity in runtime.catalog.list_entities(())} == names
    finally:
        runtime.close()
