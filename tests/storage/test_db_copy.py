"""Moving an installation from SQLite to PostgreSQL with `callboard db copy`, checked entity by entity; backing
an SQLite database up while it is open and restoring it."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from callboard.cli import cli
from callboard.core.permissions import SYSTEM
from callboard.people.api import Marks
from callboard.search.api import SearchRequest
from tests.catalog.fixtures import config, write_catalog
from tests.support import make_runtime, postgres_database, with_test_access


def _sqlite_portal(tmp_path: Path) -> Path:
    """A used SQLite installation: a processed catalog, audit entries, stars, search documents; its config."""
    database = {"client": "better-sqlite3", "connection": {"filename": str(tmp_path / "cb.db")}}
    settings = config(write_catalog(tmp_path / "repo"), database)
    runtime = make_runtime(settings, tmp_path)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        runtime.indexer.run_once()
        runtime.audit.record("user:default/jane", "catalog.location.create", "url:https://example.com/x", status=201)
        Marks(runtime.database).star("user:default/jane", "component:default/artist-web", True)
    finally:
        runtime.close()
    path = tmp_path / "app-config.yaml"
    path.write_text(yaml.safe_dump(with_test_access(settings)), "utf-8")
    return path


def test_db_copy_moves_everything_to_postgresql_and_checks_every_entity(tmp_path: Path) -> None:
    settings_file = _sqlite_portal(tmp_path)
    with postgres_database() as url:
        copied = CliRunner().invoke(cli, ["db", "copy", "--to", url, "--config", str(settings_file)])
        assert copied.exit_code == 0, copied.output
        assert "every table and every entity is the same on both sides" in copied.output
        # The portal, pointed at PostgreSQL, serves what it served from SQLite, and keeps working.
        moved = yaml.safe_load(settings_file.read_text("utf-8"))
        before = make_runtime(moved, tmp_path)
        try:
            exported_before = list(before.catalog.export_entities())
        finally:
            before.close()
        moved["backend"]["database"] = {"connection": url}
        after = make_runtime(moved, tmp_path)
        try:
            assert list(after.catalog.export_entities()) == exported_before
            assert len(exported_before) > 10
            audited = after.audit.read(SYSTEM, actions=["catalog.location.create"])
            assert audited[0]["actor"] == "user:default/jane"
            after.audit.record("user:default/jane", "catalog.location.create", "url:https://example.com/y")  # new ids
            assert Marks(after.database).starred("user:default/jane") == ["component:default/artist-web"]
            found = after.search.query(SearchRequest(term="artist"))
            assert found.results
        finally:
            after.close()
        again = CliRunner().invoke(cli, ["db", "copy", "--to", url, "--config", str(settings_file)])
        assert again.exit_code == 2 and "copy into a new, empty database" in again.output
    unreachable = "postgresql://nobody@127.0.0.1:9/none"
    refused = CliRunner().invoke(cli, ["db", "copy", "--to", unreachable, "--config", str(settings_file)])
    assert refused.exit_code == 2 and "cannot open --to" in refused.output and "Traceback" not in refused.output


def test_backup_while_open_and_restore(tmp_path: Path) -> None:
    settings_file = _sqlite_portal(tmp_path)
    backup = tmp_path / "backup.db"
    made = CliRunner().invoke(cli, ["db", "backup", str(backup), "--config", str(settings_file)])
    assert made.exit_code == 0, made.output
    (tmp_path / "cb.db").write_bytes(b"")  # the database is lost
    restored = CliRunner().invoke(cli, ["db", "restore", str(backup), "--config", str(settings_file)])
    assert restored.exit_code == 0, restored.output
    runtime = make_runtime(yaml.safe_load(settings_file.read_text("utf-8")), tmp_path)
    try:
        assert runtime.catalog.entity_by_name("component", "default", "artist-web") is not None
    finally:
        runtime.close()
    refused = CliRunner().invoke(cli, ["db", "restore", str(settings_file), "--config", str(settings_file)])
    assert refused.exit_code == 2 and "not a Callboard database backup" in refused.output
