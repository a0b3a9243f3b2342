"""A confidence below which a field is left for review instead of guessed (``minConfidence``): the placeholder
or nothing in the entity, the candidate and its evidence kept, in the CLI, the catalog and the Discovery page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from callboard.assembly import create_plugin_manager
from callboard.cli import cli
from callboard.demo.sample_repos import Expected, sample_repos, write_repository
from callboard.discovery.config import parse_sources
from callboard.discovery.inference import Options
from callboard.discovery.review import held
from callboard.discovery.scanner import MemoryState, Scanner
from callboard.discovery.sources import LocalFolders
from tests.catalog.fixtures import ALL_KINDS
from tests.support import AUTH, Server, database_for, make_runtime


def component(entities: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(e for e in entities if e["kind"] == "Component" and e["metadata"]["name"] == name)


def fields(entity: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(entity["metadata"]["annotations"]["callboard.dev/provenance"])["fields"])


def test_weak_fields_are_held_back_with_their_best_candidate(samples: tuple[Path, dict[str, Expected]]) -> None:
    root, _ = samples
    detectors = create_plugin_manager().discovery_detectors()
    guessed = Scanner(detectors, Options(default_owner="group:x")).scan(
        "t", LocalFolders(root / "py-retry").repositories(), MemoryState()
    )
    strict = Scanner(
        detectors, Options(default_owner="group:x", min_confidence={"spec.lifecycle": 0.99, "*": 0.5})
    ).scan("t", LocalFolders(root / "py-retry").repositories(), MemoryState())
    before, after = component(guessed.entities, "py-retry"), component(strict.entities, "py-retry")
    assert before["spec"]["lifecycle"] != "unknown"
    assert after["spec"]["lifecycle"] == "unknown"  # required by Backstage: a placeholder, not a guess
    assert after["spec"]["type"] == before["spec"]["type"]  # confident enough for "*"
    assert after["spec"]["owner"] == before["spec"]["owner"]  # CODEOWNERS is strong evidence
    lifecycle = fields(after)["spec.lifecycle"]
    assert lifecycle["review"]["candidate"] == before["spec"]["lifecycle"]
    assert lifecycle["review"]["threshold"] == 0.99 and "left for review" in lifecycle["rule"]
    (entry,) = [h for h in held("component:default/py-retry", {"fields": fields(after)}) if h.field == "spec.lifecycle"]
    assert yaml.safe_load(entry.override_entry) == {
        "component:default/py-retry": {"spec": {"lifecycle": before["spec"]["lifecycle"]}}
    }
    # Facts of the repository itself are never held back.
    assert after["metadata"]["name"] == "py-retry"
    assert "backstage.io/source-location" in after["metadata"]["annotations"]


def test_an_optional_field_below_its_threshold_is_left_out(samples: tuple[Path, dict[str, Expected]]) -> None:
    root, _ = samples
    scanner = Scanner(
        create_plugin_manager().discovery_detectors(), Options(min_confidence={"metadata.description": 1.0})
    )
    report = scanner.scan("t", LocalFolders(root / "py-retry").repositories(), MemoryState())
    entity = component(report.entities, "py-retry")
    assert "description" not in entity["metadata"]
    assert fields(entity)["metadata.description"]["value"] is None


def test_the_cli_takes_thresholds_and_refuses_a_bad_one(samples: tuple[Path, dict[str, Expected]]) -> None:
    root, _ = samples
    runner = CliRunner()
    result = runner.invoke(cli, ["discover", str(root / "py-retry"), "--min-confidence", "spec.lifecycle=0.99"])
    assert result.exit_code == 0, result.output
    document = next(d for d in yaml.safe_load_all(result.stdout) if d and d["kind"] == "Component")
    assert document["spec"]["lifecycle"] == "unknown"
    assert "left for review" in result.stdout
    bad = runner.invoke(cli, ["discover", str(root / "py-retry"), "--min-confidence", "spec.type=high"])
    said = " ".join(bad.output.replace("│", " ").split())  # the error box wraps its lines
    assert bad.exit_code == 2 and "'spec.type=high'" in said and "from 0 to 1" in said


def test_a_threshold_outside_zero_to_one_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"catalog.providers.discovery.repos.minConfidence.spec.type: 7.0"):
        parse_sources({"repos": {"type": "local", "path": ".", "minConfidence": {"spec.type": 7}}}, tmp_path)


def test_the_discovery_page_lists_fields_left_for_review(tmp_path: Path) -> None:
    repos = tmp_path / "repos"
    write_repository(repos, next(repo for repo in sample_repos() if repo.name == "orders-service"))
    source = {"type": "local", "path": str(repos), "minConfidence": {"spec.lifecycle": 0.99}}
    config: dict[str, Any] = {"catalog": {"rules": [{"allow": ALL_KINDS}], "providers": {"discovery": {"r": source}}}}
    with database_for("sqlite", tmp_path) as database:
        config["backend"] = {"database": database}
        runtime = make_runtime(config, tmp_path)
        try:
            runtime.discovery[0].run_once()
            runtime.engine.run_until_idle(60)
            with Server(runtime.web) as server, httpx.Client(base_url=server.url, headers=AUTH) as http:
                orders = http.get("/api/catalog/entities/by-name/component/default/orders-service").json()
                page = http.get("/discovery", headers={"accept": "text/html"}).text
        finally:
            runtime.close()
    assert orders["spec"]["lifecycle"] == "unknown"
    assert "Left for review" in page and "spec.lifecycle" in page
    assert "component:default/orders-service:\n  spec:\n    lifecycle:" in page
