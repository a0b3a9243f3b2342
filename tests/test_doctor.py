"""`callboard doctor` on installations that are and are not healthy: each finding names what to do."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from callboard.cli import cli
from tests.support import make_runtime, with_test_access


def _config(tmp_path: Path, **extra: object) -> Path:
    settings = with_test_access({"backend": {"database": {"connection": f"sqlite:///{tmp_path / 'cb.db'}"}}, **extra})
    path = tmp_path / "app-config.yaml"
    path.write_text(yaml.safe_dump(settings), "utf-8")
    return path


def test_a_database_never_migrated_is_reported_with_the_command_that_fixes_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["doctor", "--config", str(_config(tmp_path))])
    assert result.exit_code == 1, result.output
    assert "run callboard db upgrade" in result.output
    assert "answers" in result.output  # the database itself is reachable


def test_no_worker_and_failing_credentials_are_findings_and_healthy_parts_pass(tmp_path: Path) -> None:
    path = _config(
        tmp_path, integrations={"github": [{"host": "github.com", "token": "x", "apiBaseUrl": "http://127.0.0.1:9"}]}
    )
    make_runtime(yaml.safe_load(path.read_text("utf-8")), tmp_path).close()  # migrated, as serve does at start
    result = CliRunner().invoke(cli, ["doctor", "--config", str(path)])
    output = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "✓ migrations" in output and "✓ catalog processing nothing waiting" in output
    assert "✗ workers no scheduled task has started for 30 minutes" in output
    assert "GitHub accepts the portal's credential" in output and "✗ plugin github-actions" in output


def test_catalog_items_held_by_a_worker_that_stopped_are_reported(tmp_path: Path) -> None:
    from tests.catalog.fixtures import config, write_catalog

    settings = config(write_catalog(tmp_path / "repo"), {"connection": f"sqlite:///{tmp_path / 'cb.db'}"})
    path = tmp_path / "app-config.yaml"
    path.write_text(yaml.safe_dump(with_test_access(settings)), "utf-8")
    runtime = make_runtime(settings, tmp_path)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        with runtime.database.transaction() as connection:  # a worker claimed three items an hour ago, then died
            connection.exec_driver_sql(
                "UPDATE refresh_state SET lease_owner = 'gone', lease_until = 1000 WHERE entity_id IN "
                "(SELECT entity_id FROM refresh_state LIMIT 3)"
            )
    finally:
        runtime.close()
    result = CliRunner().invoke(cli, ["doctor", "--config", str(path)])
    assert "✗ catalog leases 3 items claimed by a worker that stopped" in " ".join(result.output.split())
    assert result.exit_code == 1
