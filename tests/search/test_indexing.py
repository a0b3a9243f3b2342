"""The index follows the catalog and the docs incrementally, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from callboard.app import Runtime
from callboard.search import indexer as indexer_module
from callboard.search.service import SearchRequest
from callboard.techdocs.builder import build_site
from tests.catalog.fixtures import config
from tests.support import database_for, make_runtime, write

ENTITIES = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: alpha, description: {alpha}}}
spec: {{type: service, lifecycle: production, owner: team-a}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: beta, description: The beta widget}}
spec: {{type: library, lifecycle: experimental, owner: team-b}}
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Runtime, Path]]:
    file = write(tmp_path / "catalog-info.yaml", ENTITIES.format(alpha="The alpha gadget"))
    with database_for(request.param, tmp_path) as database:
        runtime = make_runtime(config(file, database), tmp_path)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            yield runtime, file
        finally:
            runtime.close()


def names(runtime: Runtime, term: str, *types: str) -> list[str]:
    response = runtime.search.query(SearchRequest(term=term, types=types))
    return [str(result.document.get("name")) for result in response.results]


def test_a_changed_entity_is_reindexed_alone(catalog: tuple[Runtime, Path]) -> None:
    runtime, file = catalog
    first = runtime.indexer.run_once()
    assert first.upserted >= 3  # alpha, beta and the location
    assert names(runtime, "gadget") == ["alpha"]

    file.write_text(ENTITIES.format(alpha="The alpha gizmo"), "utf-8")
    runtime.catalog.refresh("component:default/alpha")
    runtime.engine.run_until_idle(60)
    again = runtime.indexer.run_once()
    assert again.upserted < first.upserted  # only what changed
    assert names(runtime, "gizmo") == ["alpha"]
    assert names(runtime, "gadget") == []
    assert runtime.indexer.run_once().upserted == 0  # nothing changed, nothing done


def test_a_deleted_entity_leaves_the_index(catalog: tuple[Runtime, Path]) -> None:
    runtime, _ = catalog
    runtime.indexer.run_once()
    assert names(runtime, "widget") == ["beta"]
    uid = runtime.catalog.entity_by_name("component", "default", "beta")["metadata"]["uid"]
    runtime.catalog.delete_by_uid(uid)
    report = runtime.indexer.run_once()
    assert report.deleted == 1
    assert names(runtime, "widget") == []


def test_deleted_entities_are_found_page_by_page_and_the_rest_stays(
    catalog: tuple[Runtime, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, _ = catalog
    runtime.indexer.run_once()
    kept = runtime.search.query(SearchRequest(term="", types=("software-catalog",))).results
    monkeypatch.setattr(indexer_module, "CHECK_PAGE", 1)  # one key per page: each deletion in a page of its own
    for name in ("alpha", "beta"):
        runtime.catalog.delete_by_uid(runtime.catalog.entity_by_name("component", "default", name)["metadata"]["uid"])
    report = runtime.indexer.run_once()
    assert report.deleted == 2
    assert names(runtime, "gadget") == [] and names(runtime, "widget") == []
    left = runtime.search.query(SearchRequest(term="", types=("software-catalog",))).results
    assert len(left) == len(kept) - 2 >= 1  # the location is still indexed


def test_docs_published_by_a_pipeline_are_found_and_replaced(catalog: tuple[Runtime, Path], tmp_path: Path) -> None:
    runtime, _ = catalog
    runtime.indexer.run_once()
    source = tmp_path / "docs-src"
    write(source / "mkdocs.yml", "site_name: Alpha\nnav:\n  - Home: index.md\n  - Deploying: deploy.md\n")
    write(source / "docs" / "index.md", "# Alpha\n\nWelcome.\n")
    write(source / "docs" / "deploy.md", "# Deploying\n\n## Canary\n\nShip to one zeppelin first.\n")
    build_site(source, tmp_path / "site", timeout=120)
    publisher = runtime.techdocs.publisher
    publisher.publish("default", "Component", "alpha", tmp_path / "site")  # as 'callboard docs publish' does

    runtime.indexer.run_once()
    found = runtime.search.query(SearchRequest(term="zeppelin")).results
    assert [r.document["location"] for r in found] == ["/catalog/default/component/alpha/docs/deploy/#canary"]
    assert found[0].document["entityTitle"] == "alpha" and found[0].type == "techdocs"

    write(source / "docs" / "deploy.md", "# Deploying\n\n## Canary\n\nShip to one airship first.\n")
    build_site(source, tmp_path / "site2", timeout=120)
    publisher.publish("default", "Component", "alpha", tmp_path / "site2")
    runtime.indexer.run_once()
    assert names(runtime, "zeppelin") == [] and names(runtime, "airship", "techdocs") == ["alpha"]


def test_a_rebuild_starts_over_and_ends_with_the_same_index(catalog: tuple[Runtime, Path]) -> None:
    runtime, _ = catalog
    runtime.indexer.run_once()
    before = runtime.search.engine.count()
    runtime.indexer.forget()
    assert runtime.search.engine.count() == 0
    runtime.indexer.run_once()
    assert runtime.search.engine.count() == before


def test_the_background_loop_compares_counts_only_every_few_seconds(catalog: tuple[Runtime, Path]) -> None:
    runtime, _ = catalog
    runtime.indexer.run_once(throttle=True)
    uid = runtime.catalog.entity_by_name("component", "default", "beta")["metadata"]["uid"]
    runtime.catalog.delete_by_uid(uid)
    assert runtime.indexer.run_once(throttle=True).deleted == 0  # counted moments ago: not yet
    assert runtime.indexer.run_once().deleted == 1  # asked for now: counted now


def test_the_background_loop_looks_for_deletions_once_the_catalog_stops_changing(
    catalog: tuple[Runtime, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """During an ingestion the counts always differ; comparing them read every ref of the catalog each time."""
    from callboard.search import indexer

    runtime, file = catalog
    monkeypatch.setattr(indexer, "COUNT_CHECK_SECONDS", 0.0)  # the counts may be compared at every run
    runtime.indexer.run_once(throttle=True)
    alpha_only = ENTITIES.format(alpha="The alpha gizmo").split("---")[0]
    file.write_text(alpha_only, "utf-8")  # alpha changes, beta leaves the catalog
    runtime.catalog.refresh("component:default/alpha")
    runtime.engine.run_until_idle(60)
    assert runtime.catalog.entities_by_refs(["component:default/beta"], [], {}) == [None]  # gone
    changing = runtime.indexer.run_once(throttle=True)
    assert changing.upserted >= 1 and changing.deleted == 0  # the catalog is still changing: not yet
    assert runtime.indexer.run_once(throttle=True).deleted == 1  # nothing changed since: compared now
    assert names(runtime, "beta") == []
