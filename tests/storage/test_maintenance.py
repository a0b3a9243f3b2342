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
