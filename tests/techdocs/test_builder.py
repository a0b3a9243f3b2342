"""Building TechDocs sites with MkDocs and techdocs-core: the corpus setups, isolation, failures, publishing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callboard.cli import cli
from callboard.core.errors import InputError, NotFoundError
from callboard.techdocs.builder import BuildError, build_site, source_digest
from callboard.techdocs.publisher import LocalPublisher
from tests.support import write

#: What each corpus setup does when built, and why when it cannot (their configs need tools we do not ship).
EXPECTED = {
    "backstage__backstage__sample-docs-local": "built",
    "thatmlopsguy__dokaseca-portal-catalog__components": "built",
    "RoadieHQ__sample-service__sample-service": "No module named 'mkdocs_graphviz'",
    "backstage__demo__demo": "Failed to run plantuml",
    "christoph-jerolimov__rhdh-experiments__christoph-demo": "has no mkdocs.yml",
}


@pytest.mark.parametrize("setup", sorted(EXPECTED))
def test_corpus_setups_build_or_say_why_not(corpus: Path, tmp_path: Path, setup: str) -> None:
    source = corpus / "techdocs" / setup
    before = sorted(p.relative_to(source) for p in source.rglob("*"))
    try:
        result = build_site(source, tmp_path / "site", timeout=120)
    except BuildError as error:
        assert EXPECTED[setup] in error.log, error.log[-500:]
        assert error.message.startswith("mkdocs build failed:")
    except InputError as error:
        assert EXPECTED[setup] in error.message
    else:
        assert EXPECTED[setup] == "built"
        assert (tmp_path / "site" / "index.html").is_file()
        metadata = json.loads((tmp_path / "site" / "techdocs_metadata.json").read_text())
        assert metadata["etag"] == source_digest(source) and "index.html" in metadata["files"]
        assert (tmp_path / "site" / "search" / "search_index.json").is_file()  # techdocs-core's search index
        assert result.seconds > 0
    assert sorted(p.relative_to(source) for p in source.rglob("*")) == before  # the source is never written to


def site_source(root: Path, *, plugins: str = "") -> Path:
    write(root / "mkdocs.yml", f"site_name: Payments\nnav:\n  - Home: index.md\n{plugins}")
    write(root / "docs" / "index.md", "# Payments\n\nHow payments work.\n")
    return root


def test_techdocs_core_is_added_when_missing(tmp_path: Path) -> None:
    build_site(site_source(tmp_path / "src"), tmp_path / "site")
    assert "Payments" in (tmp_path / "site" / "index.html").read_text()
    assert json.loads((tmp_path / "site" / "techdocs_metadata.json").read_text())["site_name"] == "Payments"


def test_a_build_that_takes_too_long_is_stopped(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="took longer than 0 seconds"):
        build_site(site_source(tmp_path / "src"), tmp_path / "site", timeout=0.01)


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    write(tmp_path / "src" / "mkdocs.yml", "site_name: [unclosed\n")
    with pytest.raises(InputError, match=r"mkdocs\.yml: not valid YAML"):
        build_site(tmp_path / "src", tmp_path / "site")


def test_publishing_replaces_the_site_and_serves_only_its_files(tmp_path: Path) -> None:
    build_site(site_source(tmp_path / "src"), tmp_path / "site")
    publisher = LocalPublisher(tmp_path / "store")
    publisher.publish("default", "Component", "payments", tmp_path / "site")
    assert publisher.metadata("default", "component", "payments")["site_name"] == "Payments"  # type: ignore[index]
    assert publisher.file("default", "component", "payments", "").name == "index.html"
    with pytest.raises(NotFoundError):
        publisher.file("default", "component", "payments", "../../../../etc/passwd")
    with pytest.raises(InputError, match="not a built TechDocs site"):
        publisher.publish("default", "component", "payments", tmp_path / "src")
    with pytest.raises(InputError):
        publisher.publish("..", "component", "payments", tmp_path / "site")
    assert publisher.metadata("default", "component", "nothing") is None


def test_cli_builds_and_publishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = site_source(tmp_path / "src")
    built = CliRunner().invoke(cli, ["docs", "build", str(source), "--output", "out"])
    assert built.exit_code == 0, built.output
    write(tmp_path / "app-config.yaml", "dataDir: data\n")
    published = CliRunner().invoke(
        cli,
        [
            "docs",
            "publish",
            "--entity",
            "default/Component/payments",
            "--directory",
            "out",
            "--config",
            "app-config.yaml",
        ],
    )
    assert published.exit_code == 0, published.output
    assert (tmp_path / "data" / "techdocs" / "default" / "component" / "payments" / "index.html").is_file()
    broken = CliRunner().invoke(cli, ["docs", "build", str(tmp_path / "out")])
    assert broken.exit_code == 2 and "has no mkdocs.yml" in broken.output


def test_a_docs_folder_without_mkdocs_yml_builds_with_backstages_defaults(tmp_path: Path) -> None:
    """Backstage generates ``site_name``/``docs_dir: docs``/``techdocs-core`` when a repository has no mkdocs.yml,
    and falls back to the README for a missing docs/index.md: so do we, in the build's copy."""
    source = tmp_path / "operator"
    write(source / "README.md", "# Grafana operator\n\nManages Grafana instances through Kubernetes resources.\n")
    write(source / "docs" / "quick-start.md", "# Quick start\n\nApply the CRDs first.\n")
    before = sorted(p.relative_to(source) for p in source.rglob("*"))
    result = build_site(source, tmp_path / "site", site_name="grafana-operator")
    assert result.metadata["site_name"] == "grafana-operator"
    home = (tmp_path / "site" / "index.html").read_text()
    assert "Manages Grafana instances" in home  # the README became the home page
    assert (tmp_path / "site" / "quick-start" / "index.html").is_file()
    assert (tmp_path / "site" / "search" / "search_index.json").is_file()  # techdocs-core ran
    assert sorted(p.relative_to(source) for p in source.rglob("*")) == before

    unnamed = build_site(source, tmp_path / "unnamed")
    assert unnamed.metadata["site_name"] == "Documentation Site"


def test_a_folder_without_mkdocs_yml_or_docs_says_what_to_add(tmp_path: Path) -> None:
    write(tmp_path / "src" / "README.md", "# Nothing to build\n")
    with pytest.raises(InputError, match=r"has no mkdocs\.yml and no docs/ folder; add docs/index\.md"):
        build_site(tmp_path / "src", tmp_path / "site")
