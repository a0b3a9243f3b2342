"""Single-statement reads (``Database.read``): on PostgreSQL outside any transaction, one round trip each,
and a connection the server dropped costs the caller nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from callboard.storage.db import Database
from callboard.storage.tables import catalog_generation
from tests.support import migrated_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path) as migrated:
        yield migrated


@pytest.fixture
def postgresql(tmp_path: Path) -> Iterator[Database]:
    with migrated_database("postgresql", tmp_path) as migrated:
        yield migrated


def test_a_read_sees_what_was_committed(database: Database) -> None:
    before = database.read("SELECT value FROM catalog_generation")[0][0]
    with database.transaction() as connection:
        connection.execute(catalog_generation.update().values(value=catalog_generation.c.value + 1))
    assert database.read("SELECT value FROM catalog_generation")[0][0] == before + 1


def test_reads_on_postgresql_run_outside_a_transaction(postgresql: Database) -> None:
    # now() is the transaction's start time inside one and the statement's otherwise: two reads in one
    # transaction would agree; in autocommit each statement is its own.
    rows = postgresql.read("SELECT now() = statement_timestamp()")
    assert rows[0][0] is True


def test_a_connection_the_server_dropped_is_replaced(postgresql: Database) -> None:
    backend = postgresql.read("SELECT pg_backend_pid()")[0][0]
    with postgresql.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    assert postgresql.read("SELECT pg_backend_pid()")[0][0] != backend


def test_placeholders_casts_and_percent_signs_mean_the_same_on_both_databases(database: Database) -> None:
    cast = "CAST(:word AS TEXT)" if database.is_sqlite else ":word::text"
    rows = database.read(f"SELECT {cast} LIKE 'ab%', :word || :other", word="abc", other="d")
    assert [tuple(row) for row in rows] == [(True if not database.is_sqlite else 1, "abcd")]


def test_a_read_cannot_write(database: Database) -> None:
    with pytest.raises(Exception, match=r"readonly|read-only"):
        database.read("UPDATE catalog_generation SET value = value + 1")


def test_reads_awaited_on_the_loop_that_opened_them_keep_and_replace_connections(postgresql: Database) -> None:
    async def run() -> None:
        await postgresql.open_async()
        try:
            first = await postgresql.read_async("SELECT pg_backend_pid()")
            assert await postgresql.read_async("SELECT pg_backend_pid()") == first  # the connection was kept
            with postgresql.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first[0][0]})
            assert await postgresql.read_async("SELECT pg_backend_pid()") != first  # dropped, then replaced
            with pytest.raises(Exception, match=r"read-only"):
                await postgresql.read_async("UPDATE catalog_generation SET value = value + 1")
        finally:
            await postgresql.close_async()

    asyncio.run(run())


def test_awaited_reads_work_where_the_loop_opened_none(database: Database) -> None:
    rows = asyncio.run(database.read_async("SELECT value FROM catalog_generation WHERE id = :id", id=1))
    assert len(rows) == 1
