"""How facts become entities: monorepos, CODEOWNERS, written descriptors and overrides winning, conflicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from callboard.assembly import create_plugin_manager
from callboard.demo.sample_repos import SampleRepo, write_repository
from callboard.discovery.inference import PROVENANCE, Options
from callboard.discovery.scanner import MemoryState, Scanner
from callboard.discovery.sources import LocalFolders


def scan(root: Path, **scanner: Any) -> dict[str, dict[str, Any]]:
    found = Scanner(create_plugin_manager().discovery_detectors(), Options(default_owner="group:fallback"), **scanner)
    report = found.scan("test", LocalFolders(root).repositories(), MemoryState())
    return {f"{e['kind']}:{e['metadata']['name']}".lower(): e for e in report.entities}


def provenance(entity: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(entity["metadata"]["annotations"][PROVENANCE])
    return loaded


def test_a_monorepo_gives_a_component_per_package_owned_by_the_last_matching_codeowners_rule(tmp_path: Path) -> None:
    write_repository(
        tmp_path,
        SampleRepo(
            "shop",
            {
                "package.json": json.dumps({"name": "shop", "workspaces": ["apps/*", "libs/*"]}),
                "apps/cart/package.json": json.dumps({"name": "@shop/cart", "dependencies": {"express": "4"}}),
                "apps/cart/Dockerfile": "FROM node\n",
                "libs/money/package.json": json.dumps({"name": "@shop/money", "version": "2.0.0"}),
                "CODEOWNERS": "* @shop/everyone\n/libs/money/ @shop/finance\n",
            },
        ),
    )
    entities = scan(tmp_path)
    assert set(entities) == {"component:cart", "component:money"}  # the workspace root is not a component
    assert entities["component:cart"]["spec"]["type"] == "service"
    assert entities["component:cart"]["spec"]["owner"] == "group:everyone"
    assert entities["component:money"]["spec"]["owner"] == "group:finance"
    owner = provenance(entities["component:money"])["fields"]["spec.owner"]
    assert owner["source"] == "CODEOWNERS" and "/libs/money/" in owner["rule"]


def test_every_field_says_which_file_and_rule_it_came_from(tmp_path: Path) -> None:
    write_repository(
        tmp_path,
        SampleRepo(
            "tiny",
            {
                "pyproject.toml": '[project]\nname = "tiny"\nversion = "0.1.0"\ndependencies = ["fastapi"]\n',
                "Dockerfile": "FROM python\n",
                "README.md": "# Tiny\n\nDoes one small thing.\n",
            },
        ),
    )
    entity = scan(tmp_path)["component:tiny"]
    fields = provenance(entity)["fields"]
    assert set(fields) >= {"metadata.name", "metadata.description", "spec.type", "spec.owner", "spec.lifecycle"}
    assert fields["metadata.description"]["source"] == "README.md"
    assert fields["spec.owner"]["rule"].startswith("no CODEOWNERS rule covers it")
    assert entity["spec"]["owner"] == "group:fallback"
    kinds = {alternative["value"] for alternative in fields["spec.type"].get("alternatives", [])}
    assert fields["spec.type"]["value"] == "service" and "service" not in kinds


def test_a_written_descriptor_wins_field_by_field_and_the_disagreement_is_kept(tmp_path: Path) -> None:
    write_repository(
        tmp_path,
        SampleRepo(
            "ledger",
            {
                "pyproject.toml": '[project]\nname = "ledger"\nversion = "1.0.0"\n',
                "CODEOWNERS": "* @acme/finance\n",
                "mkdocs.yml": "site_name: Ledger\n",
                "catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ledger\n"
                "spec:\n  type: service\n  lifecycle: production\n  owner: group:accounting\n",
            },
        ),
    )
    entity = scan(tmp_path)["component:ledger"]
    assert entity["spec"]["owner"] == "group:accounting"  # written
    assert entity["metadata"]["annotations"]["backstage.io/techdocs-ref"] == "dir:."  # inferred fills the gap
    found = provenance(entity)
    assert found["fields"]["spec.owner"]["by"] == "catalog-info.yaml"
    conflict = next(c for c in found["conflicts"] if c["field"] == "spec.owner")
    assert conflict["kept"] == "group:accounting" and conflict["replaced"] == "group:finance"
    assert "CODEOWNERS" in conflict["replacedFrom"]


def test_the_overrides_file_wins_over_both(tmp_path: Path) -> None:
    write_repository(
        tmp_path,
        SampleRepo(
            "ledger",
            {
                "pyproject.toml": '[project]\nname = "ledger"\n',
                "catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ledger\n"
                "spec:\n  type: service\n  lifecycle: production\n  owner: group:accounting\n",
            },
        ),
    )
    patches = {"component:default/ledger": {"spec": {"owner": "group:platform", "system": "money"}}}
    entity = scan(tmp_path, overrides=patches, overrides_source="platform/overrides.yaml")["component:ledger"]
    assert entity["spec"]["owner"] == "group:platform" and entity["spec"]["system"] == "money"
    found = provenance(entity)
    assert found["fields"]["spec.owner"]["by"] == "overrides"
    assert any(c["field"] == "spec.owner" and c["replaced"] == "group:accounting" for c in found["conflicts"])


def test_a_repository_with_nothing_recognisable_gives_no_entity(tmp_path: Path) -> None:
    write_repository(tmp_path, SampleRepo("notes", {"notes.txt": "remember the milk\n"}))
    assert scan(tmp_path) == {}
