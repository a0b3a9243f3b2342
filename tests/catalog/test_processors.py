"""Plugin catalog processors on a real catalog (SQLite and PostgreSQL): they change entities before
validation, add relations, problems and owned entities after it, and a failing one is named on the entity."""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from callboard.app import Runtime
from callboard.sdk import CatalogProcessor, ProcessorResult, hookimpl
from tests.catalog.fixtures import config
from tests.support import database_for, make_runtime, write

SERVICE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  annotations: {acme.io/database: billing-db}
spec: {type: service, lifecycle: production, owner: team-a}
"""


def tag(entity: dict[str, Any]) -> dict[str, Any]:
    entity["metadata"]["tags"] = [*entity["metadata"].get("tags", []), "audited"]
    return entity


def databases(entity: Mapping[str, Any], result: ProcessorResult) -> None:
    annotations = entity["metadata"].get("annotations") or {}
    name = annotations.get("acme.io/database")
    if name:
        result.relations.append(("dependsOn", f"resource:default/{name}", "dependencyOf"))
        result.entities.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Resource",
                "metadata": {"name": name},
                "spec": {"type": "database", "owner": entity["spec"]["owner"]},
            }
        )
    if annotations.get("acme.io/owner-check") == "fail":
        result.errors.append("acme.io/owner-check says the owner must be a team of payments")


def explodes(entity: Mapping[str, Any], result: ProcessorResult) -> None:
    if entity["metadata"]["name"] == "boom":
        raise KeyError("spec.system")


def acme() -> types.ModuleType:
    module = types.ModuleType("acme_processors")
    module.CALLBOARD_PLUGIN_API = "1.1"  # type: ignore[attr-defined]

    def register_catalog_processors() -> list[CatalogProcessor]:
        return [
            CatalogProcessor("acme-tags", preprocess=tag),
            CatalogProcessor("acme-databases", postprocess=databases),
            CatalogProcessor("acme-explodes", postprocess=explodes),
        ]

    module.register_catalog_processors = hookimpl(register_catalog_processors)  # type: ignore[attr-defined]
    return module


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Runtime, Path]]:
    file = write(tmp_path / "repo" / "catalog-info.yaml", SERVICE)
    with database_for(request.param, tmp_path) as database:
        runtime = make_runtime(config(file, database), tmp_path, plugins={"acme": acme()})
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            yield runtime, file
        finally:
            runtime.close()


def _get(runtime: Runtime, kind: str, name: str) -> dict[str, Any]:
    return runtime.catalog.entity_by_name(kind, "default", name)


def test_processors_change_relate_and_emit_entities(catalog: tuple[Runtime, Path]) -> None:
    runtime, _ = catalog
    billing = _get(runtime, "component", "billing")
    assert billing["metadata"]["tags"] == ["audited"]
    assert {"type": "dependsOn", "targetRef": "resource:default/billing-db"} in [
        {"type": r["type"], "targetRef": r["targetRef"]} for r in billing["relations"]
    ]
    database = _get(runtime, "resource", "billing-db")
    assert database["spec"]["owner"] == "team-a"
    assert {"type": "dependencyOf", "targetRef": "component:default/billing"} in [
        {"type": r["type"], "targetRef": r["targetRef"]} for r in database["relations"]
    ]
    assert database["metadata"]["annotations"]["backstage.io/managed-by-location"].startswith("file:")


def test_an_entity_no_longer_emitted_is_orphaned_and_removed(catalog: tuple[Runtime, Path]) -> None:
    runtime, file = catalog
    write(file, SERVICE.replace("  annotations: {acme.io/database: billing-db}\n", ""))
    runtime.catalog.refresh("component:default/billing")
    runtime.engine.run_until_idle(60)
    runtime.engine.delete_orphans()
    refs = {f"{e['kind']}:{e['metadata']['name']}".lower() for e in runtime.catalog.list_entities(())}
    assert "resource:billing-db" not in refs and "component:billing" in refs


def test_problems_and_failing_processors_are_shown_on_the_entity(catalog: tuple[Runtime, Path]) -> None:
    runtime, file = catalog
    write(
        file,
        SERVICE.replace("acme.io/database: billing-db", "acme.io/owner-check: fail")
        + "---\n"
        + SERVICE.replace("name: billing", "name: boom").replace("acme.io/database: billing-db", "x: y"),
    )
    runtime.catalog.refresh("component:default/billing")
    runtime.engine.run_until_idle(60)
    problems = runtime.catalog.views.problems()
    text = str(problems)
    assert "acme.io/owner-check says the owner must be a team of payments" in text
    assert "Processor acme-explodes failed in postprocess: KeyError: 'spec.system'" in text
