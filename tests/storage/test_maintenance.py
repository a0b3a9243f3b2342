"""Planner statistics after large changes: on PostgreSQL a VACUUM (ANALYZE) outside any transaction, which
leaves the full-text filter's covering index readable without visiting the heap."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from callboard.storage.db import Database
from tests.support import migrated_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path) as migrated:
        yield migrated


def test_statistics_are_refreshed_and_postgresql_vacuums(database: Database) -> None:
    database.refresh_statistics("search")
    if database.is_sqlite:
        return
    with database.connect() as connection:
        vacuumed = connection.execute(
            text(
                "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname = 'search'"
            )
        ).one()
        indexes = connection.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'search'")).scalars()
        assert "ix_search_text_covering" in set(indexes)
    assert tuple(vacuumed) == (True, True)


def test_a_large_write_ahead_log_is_emptied_while_reads_go_on(database: Database) -> None:
    with database.transaction() as connection:
        connection.execute(text("UPDATE catalog_generation SET value = value + 1"))
    database.read("SELECT value FROM catalog_generation")  # a reader with its own connection stays open
    if not database.is_sqlite:
        assert database.checkpoint_if_large(1) is False  # PostgreSQL manages its own log
        return
    wal = Path(f"{database.url.database}-wal")
    assert wal.stat().st_size > 0
    assert database.checkpoint_if_large(wal.stat().st_size + 1) is False  # below the limit: left alone
    assert database.checkpoint_if_large(1) is True
    assert wal.stat().st_size == 0
    assert database.read("SELECT value FROM catalog_generation")[0][0] >= 1  # nothing was lost


def test_postgresql_is_told_how_many_entities_the_filter_index_holds(tmp_path: Path) -> None:
    """Without the declared ratio, ANALYZE of a large filter index (millions of rows) estimated so few
    distinct entities that deleting 500 entities' rows scanned the whole table: a million-entity ingestion
    slowed tenfold. The effect needs millions of rows to show; what the migration declares is checked here."""
    with migrated_database("postgresql", tmp_path) as database, database.connect() as connection:
        options = connection.execute(
            text("SELECT attoptions FROM pg_attribute WHERE attrelid = 'search'::regclass AND attname = 'entity_id'")
        ).scalar_one()
        assert "n_distinct=-0.03" in options
        tables = dict(
            connection.execute(
                text("SELECT relname, reloptions FROM pg_class WHERE relname IN ('search', 'final_entities')")
            ).all()
        )
        for table in ("search", "final_entities"):
            assert "autovacuum_analyze_scale_factor=0.01" in tables[table]
