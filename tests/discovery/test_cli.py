"""``callboard discover``: print with provenance, write descriptor files, compare with the catalog."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from callboard.cli import cli
from callboard.demo.sample_repos import Expected

runner = CliRunner()


def test_dry_run_prints_yaml_documents_with_where_each_field_came_from(
    samples: tuple[Path, dict[str, Expected]],
) -> None:
    root, _ = samples
    result = runner.invoke(cli, ["discover", str(root / "orders-service"), "--dry-run"])
    assert result.exit_code == 0, result.output
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert {f"{d['kind']}:{d['metadata']['name']}" for d in documents} == {
        "Component:orders-service",
        "API:orders-api",
        "Resource:orders-service-postgres",
    }
    assert "#   spec.owner = group:commerce  ← CODEOWNERS: CODEOWNERS gives * to @acme/commerce (0.90)" in result.stdout
    assert "callboard.dev/provenance" not in result.stdout  # shown as comments instead


def test_write_puts_a_descriptor_file_per_repository(samples: tuple[Path, dict[str, Expected]], tmp_path: Path) -> None:
    root, _ = samples
    result = runner.invoke(cli, ["discover", str(root), "--write", str(tmp_path / "out"), "--owner", "group:x"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "out" / "acme" / "dev-cli" / "catalog-info.yaml"
    entity = next(yaml.safe_load_all(written.read_text()))
    assert entity["spec"]["owner"] == "group:platform" and entity["spec"]["type"] == "library"
    assert len(list((tmp_path / "out" / "acme").iterdir())) == 26  # every repository but the one with nothing
    # Files meant to be committed: nothing naming this machine's paths, nothing that changes from run to run.
    before = {path: path.read_text() for path in (tmp_path / "out").rglob("catalog-info.yaml")}
    assert not [
        path for path, text in before.items() if "managed-by" in text or "last-seen" in text or "file:/" in text
    ]
    runner.invoke(cli, ["discover", str(root), "--write", str(tmp_path / "out"), "--owner", "group:x"])
    assert {path: path.read_text() for path in before} == before


def test_nothing_read_is_a_failure(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["discover", "http://127.0.0.1:1/gone.git", "http://127.0.0.1:1/lost.git"])
    assert result.exit_code == 1
    assert "none of the 2 repositories could be read" in result.output


def test_diff_compares_with_the_catalog(samples: tuple[Path, dict[str, Expected]], tmp_path: Path) -> None:
    root, _ = samples
    config = tmp_path / "app-config.yaml"
    config.write_text(
        f"backend:\n  database: {{connection: {tmp_path / 'db.sqlite'}}}\n  auth:\n    externalAccess:\n"
        "      - {type: static, options: {token: abcdefghijklmnopqrstuvwxyz012345, subject: service:t}}\n"
    )
    result = runner.invoke(cli, ["discover", str(root / "handbook"), "--diff", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "+ component:default/handbook (new)" in result.stdout


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["discover", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "nope: no such folder" in result.output


def test_explain_lists_every_candidate_value_with_its_evidence(samples: tuple[Path, dict[str, Expected]]) -> None:
    root, _ = samples
    result = runner.invoke(cli, ["discover", str(root / "py-retry"), "--explain", "component:py-retry"])
    assert result.exit_code == 0, result.output
    assert "Component py-retry" in result.stdout
    assert "spec.owner" in result.stdout and "group:platform" in result.stdout and "CODEOWNERS" in result.stdout
    assert "lost: Retries with backoff and jitter." in result.stdout  # the value that lost, beside the one kept
    missing = runner.invoke(cli, ["discover", str(root / "orders-service"), "--explain", "nope"])
    assert missing.exit_code == 1 and "no inferred entity is 'nope'" in missing.output
