"""The full-text filter's trigram index on PostgreSQL: made by the migrations where ``pg_trgm`` can be created,
used by the filter, skipped with a warning where the database user may not create extensions, and reported by
``callboard doctor`` with the statements that make it by hand."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml
from typer.testing import CliRunner

from callboard.cli import cli
from callboard.storage.db import Database
from callboard.storage.migrate import upgrade
from tests.support import PG_ADMIN, postgres_database, with_test_access


def _indexes(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        return {row[0] for row in connection.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'search'")}


def _doctor(url: str, tmp_path: Path) -> str:
    path = tmp_path / "app-config.yaml"
    path.write_text(yaml.safe_dump(with_test_access({"backend": {"database": {"connection": url}}})), "utf-8")
    return " ".join(CliRunner().invoke(cli, ["doctor", "--config", str(path)]).output.split())


@pytest.fixture
def limited_role() -> Iterator[str]:
    """A login role that may create tables in ``public`` but not extensions in the database (not its owner)."""
    role = f"cb_limited_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        yield role
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_the_migrations_index_trigrams_and_the_doctor_says_so(tmp_path: Path) -> None:
    with postgres_database() as url:
        database = Database(url)
        try:
            upgrade(database)
        finally:
            database.dispose()
        assert "ix_search_text_trigrams" in _indexes(url)
        assert "✓ full-text filter indexed by trigrams (pg_trgm)" in _doctor(url, tmp_path)
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("DROP INDEX ix_search_text_trigrams")
        said = _doctor(url, tmp_path)
    assert "full-text filter not indexed" in said and "CREATE EXTENSION pg_trgm" in said
    assert "CREATE INDEX ix_search_text_trigrams ON search USING gin (value gin_trgm_ops)" in said


def test_a_user_who_may_not_create_extensions_gets_every_table_without_the_index(limited_role: str) -> None:
    with postgres_database() as url:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'GRANT ALL ON SCHEMA public TO "{limited_role}"')
        limited = url.replace("postgres@", f"{limited_role}@", 1)
        database = Database(limited)
        try:
            upgrade(database)  # CREATE EXTENSION is refused: the migration goes on without the index
        finally:
            database.dispose()
        indexes = _indexes(url)
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("DROP OWNED BY " + f'"{limited_role}"')
    assert "ix_search_text_trigrams" not in indexes
    assert "ix_search_text_covering" in indexes  # the migrations before and after it ran
