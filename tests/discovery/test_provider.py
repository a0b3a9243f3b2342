"""Discovery as the catalog's provider, on SQLite and PostgreSQL: entities with provenance in the API and on
their page, unchanged repositories skipped, a vanished repository's entities orphaned with the reason."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.app import Runtime
from callboard.demo.sample_repos import Expected, sample_repos, write_repository
from tests.catalog.fixtures import ALL_KINDS
from tests.support import AUTH, Server, database_for, make_runtime


@pytest.fixture(params=["sqlite", "postgresql"])
def portal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Runtime, httpx.Client, Path]]:
    repos = tmp_path / "repos"
    chosen = {"orders-service", "payments-platform", "handbook", "search-indexer"}
    for repo in sample_repos():
        if repo.name in chosen:
            write_repository(repos, repo)
    with database_for(request.param, tmp_path) as database:
        config: dict[str, Any] = {
            "backend": {"database": database},
            "catalog": {
                "rules": [{"allow": ALL_KINDS}],
                "providers": {"discovery": {"repos": {"type": "local", "path": str(repos), "defaultOwner": "group:x"}}},
            },
        }
        runtime = make_runtime(config, tmp_path)
        try:
            with Server(runtime.web) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
                yield runtime, http, repos
        finally:
            runtime.close()


def run(runtime: Runtime) -> Any:
    report = runtime.discovery[0].run_once()
    runtime.engine.run_until_idle(60)
    return report


def test_inferred_entities_reach_the_catalog_with_their_provenance(
    portal: tuple[Runtime, httpx.Client, Path], samples: tuple[Path, dict[str, Expected]]
) -> None:
    runtime, http, _ = portal
    report = run(runtime)
    assert report.scanned == 4 and not report.errors
    orders = http.get("/api/catalog/entities/by-name/component/default/orders-service").json()
    assert orders["spec"]["owner"] == "group:commerce" and orders["spec"]["providesApis"] == ["orders-api"]
    provenance = json.loads(orders["metadata"]["annotations"]["callboard.dev/provenance"])
    assert provenance["repository"] == "acme/orders-service"
    assert provenance["fields"]["spec.type"]["source"] in ("Dockerfile", ".github/workflows/ci.yml")
    relations = {(r["type"], r["targetRef"]) for r in orders["relations"]}
    assert ("providesApi", "api:default/orders-api") in relations
    assert ("dependsOn", "resource:default/orders-service-postgres") in relations
    api = http.get("/api/catalog/entities/by-name/api/default/orders-api").json()
    assert api["spec"]["definition"].startswith("openapi: 3.0.3")
    page = http.get("/catalog/default/component/orders-service", headers={"accept": "text/html"}).text
    assert "Where did this come from?" in page and "acme/orders-service" in page and "CODEOWNERS" in page
    written = http.get("/catalog/default/component/search-indexer", headers={"accept": "text/html"}).text
    assert "Disagreements" in written and "group:search" in written  # catalog-info.yaml beat CODEOWNERS


def test_a_second_scan_skips_unchanged_repositories_and_rescans_changed_ones(
    portal: tuple[Runtime, httpx.Client, Path],
) -> None:
    runtime, http, repos = portal
    run(runtime)
    again = run(runtime)
    assert (again.scanned, again.reused) == (0, 4)
    readme = repos / "handbook" / "README.md"
    readme.write_text("# Handbook\n\nThe new way we build software.\n")
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qam", "edit"],
        cwd=repos / "handbook",
        check=True,
    )
    third = run(runtime)
    assert (third.scanned, third.reused) == (1, 3)
    handbook = http.get("/api/catalog/entities/by-name/component/default/handbook").json()
    assert handbook["metadata"]["description"] == "The new way we build software."
    # What changed in the evidence, and when, is on the entity and on the Discovery page; so is each run.
    fields = json.loads(handbook["metadata"]["annotations"]["callboard.dev/provenance"])["fields"]
    assert fields["metadata.description"]["changed"]["wasFrom"].startswith("README.md")
    runs = runtime.discovery[0]._state.runs("repos")
    assert [(r.scanned, r.unchanged) for r in runs] == [(1, 3), (0, 4), (4, 0)]
    page = http.get("/discovery", headers={"accept": "text/html"}).text
    assert "Evidence that changed" in page and "metadata.description" in page
    assert "<strong>1</strong> read" in page and "<strong>3</strong> unchanged" in page
    card = http.get("/catalog/default/component/handbook", headers={"accept": "text/html"}).text
    assert "changed" in card and "The new way we build software." in card


def test_evidence_that_disappears_is_shown_as_gone(portal: tuple[Runtime, httpx.Client, Path]) -> None:
    runtime, http, repos = portal
    run(runtime)
    before = http.get("/api/catalog/entities/by-name/component/default/orders-service").json()
    assert before["metadata"]["annotations"]["backstage.io/techdocs-ref"] == "dir:."
    (repos / "orders-service" / "mkdocs.yml").unlink()
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qam", "no docs site"],
        cwd=repos / "orders-service",
        check=True,
    )
    run(runtime)
    orders = http.get("/api/catalog/entities/by-name/component/default/orders-service").json()
    annotations = orders["metadata"]["annotations"]
    assert "backstage.io/techdocs-ref" not in annotations
    fields = json.loads(annotations["callboard.dev/provenance"])["fields"]
    gone = fields["metadata.annotations.backstage.io/techdocs-ref"]
    assert gone["removed"] is True and gone["was"] == "dir:." and gone["changed"]["wasFrom"].startswith("mkdocs.yml")
    page = http.get("/discovery", headers={"accept": "text/html"}).text
    assert "no evidence" in page and "backstage.io/techdocs-ref" in page


def test_a_vanished_repository_orphans_its_entities_with_the_reason(portal: tuple[Runtime, httpx.Client, Path]) -> None:
    runtime, http, repos = portal
    run(runtime)
    shutil.rmtree(repos / "handbook")
    report = run(runtime)
    assert report.missing == ["acme/handbook"]
    handbook = http.get("/api/catalog/entities/by-name/component/default/handbook").json()
    annotations = handbook["metadata"]["annotations"]
    assert annotations["backstage.io/orphan"] == "true"
    assert "acme/handbook was not found by discovery source 'repos'" in annotations["callboard.dev/orphan-reason"]
    problems = http.get("/catalog-problems", headers={"accept": "text/html"}).text
    assert "handbook" in problems
