"""Discovery over the sample repositories scores at least 0.9 precision and recall on every field."""

from __future__ import annotations

from pathlib import Path

from callboard.assembly import create_plugin_manager
from callboard.demo.sample_repos import Expected, sample_repos
from callboard.discovery.inference import Options
from callboard.discovery.scanner import MemoryState, Scanner
from callboard.discovery.sources import LocalFolders
from tests.discovery.evaluation import FIELDS, scores


def test_there_are_at_least_25_varied_repositories() -> None:
    repos = sample_repos()
    assert len(repos) >= 25
    files = {path.rsplit("/", 1)[-1] for repo in repos for path in repo.files}
    for manifest in ("pyproject.toml", "package.json", "go.mod", "pom.xml", "Cargo.toml", "mkdocs.yml", "main.tf"):
        assert manifest in files


def test_precision_and_recall_are_at_least_0_9_per_field(samples: tuple[Path, dict[str, Expected]]) -> None:
    root, expected = samples
    scanner = Scanner(create_plugin_manager().discovery_detectors(), Options(default_owner="group:unowned"))
    report = scanner.scan("samples", LocalFolders(root).repositories(), MemoryState())
    assert not report.errors
    result = scores(report.entities, expected)
    for field in FIELDS:
        precision, recall, mistakes = result[field]
        assert precision >= 0.9 and recall >= 0.9, (field, precision, recall, mistakes)
