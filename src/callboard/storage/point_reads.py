"""Single-statement reads for the hottest API paths (an entity by name), on the cheapest path each database
offers. A pooled SQLAlchemy transaction costs more than the lookup itself: on SQLite the pool's checkout,
statement compilation and rollback; on PostgreSQL four round trips (ping, BEGIN, SELECT, ROLLBACK).

SQL is written once with ``:name`` placeholders, SQLite's own style, and converted for PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

_PLACEHOLDER = re.compile(r"(?<![:\w]):(\w+)")
#: Sent once on each new PostgreSQL read connection: a read path must never write.
_READ_ONLY = "SET default_transaction_read_only = on"


@lru_cache(maxsize=256)
def _pyformat(sql: str) -> str:
    """``:name`` placeholders as psycopg's ``%(name)s`` (a literal ``%`` doubled; ``::type`` casts kept)."""
    return _PLACEHOLDER.sub(r"%(\1)s", sql.replace("%", "%%"))


class SqliteReads:
    """Each thread's own connection to the file, in autocommit mode: each statement reads the latest commit
    (WAL readers never wait for the writer), and sqlite3 keeps the statement prepared."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=30)
            connection.execute("PRAGMA busy_timeout=30000")
            connection.execute("PRAGMA query_only=ON")
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
        self._local = threading.local()


def _read_only(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute(_READ_ONLY)


class ServerReads:
    """A pool of connections in autocommit mode without the liveness ping: one round trip per read. A
    connection the server dropped is retried once on a fresh one, so a restart costs the caller nothing."""

    def __init__(self, url: URL) -> None:
        self._engine: Engine = create_engine(url, pool_size=5, max_overflow=10, isolation_level="AUTOCOMMIT")
        event.listen(self._engine, "connect", _read_only)

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        statement = _pyformat(sql)
        for attempt in (1, 2):
            try:
                with self._engine.connect() as connection:
                    return [tuple(row) for row in connection.exec_driver_sql(statement, dict(params))]
            except DBAPIError as error:
                if attempt == 2 or not error.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._engine.dispose()


class AsyncServerReads:
    """Point reads awaited on the event loop that opened them: no thread to hop to and back, so a request
    that waits on the database costs the server nothing meanwhile. At most ``size`` connections, kept
    between reads; opened and closed with the web app (its lifespan), as connections belong to one loop."""

    def __init__(self, url: URL, size: int = 8) -> None:
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._size = size
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(self._size)

    def usable(self) -> bool:
        """True on the loop that opened these reads (another loop must use the synchronous path)."""
        try:
            return self._loop is not None and asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    async def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        assert self._slots is not None, "open() first"
        async with self._slots:
            for attempt in (1, 2):
                connection = self._idle.pop() if self._idle else await self._connect()
                try:
                    cursor = await connection.execute(_pyformat(sql).encode(), dict(params))
                    found = [tuple(row) for row in await cursor.fetchall()]
                except psycopg.OperationalError:
                    await connection.close()  # dropped by the server: a fresh connection gets one more try
                    if attempt == 2:
                        raise
                    continue
                except BaseException:
                    await connection.close()
                    raise
                self._idle.append(connection)
                return found
        raise AssertionError("unreachable")

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        await connection.execute(_READ_ONLY)
        return connection

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()
        self._loop = None
