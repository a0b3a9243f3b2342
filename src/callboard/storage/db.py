"""The database engine from a URL: SQLite (one file, WAL) by default, PostgreSQL when replicas share work."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from anyio import to_thread
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from callboard.storage.point_reads import AsyncServerReads, ServerReads, SqliteReads


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """Slices of ``items``, small enough for an ``IN (...)`` list on every database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: A unique key another writer took first (features retry or report it without importing SQLAlchemy).
WriteConflict = IntegrityError
#: The database cannot be reached or opened.
DatabaseUnavailable = OperationalError


class DatabaseConfigError(ValueError):
    """``backend.database`` that cannot be turned into a connection; the message says which key."""


def database_url(config: Mapping[str, Any], data_dir: Path) -> URL:
    """The SQLAlchemy URL for Backstage-style ``backend.database`` config.

    Accepts ``{connection: "postgresql://..."}``, Backstage's ``{client: pg, connection: {host, port, user,
    password, database}}``, ``{client: better-sqlite3 | sqlite3, connection: {filename}}``, or nothing, which
    means a SQLite file ``callboard.db`` in the data directory.
    """
    client = str(config.get("client") or "").lower()
    connection = config.get("connection")
    if isinstance(connection, str):
        if connection == ":memory:":
            raise DatabaseConfigError("backend.database.connection: ':memory:' cannot be shared; use a file path")
        if "://" in connection:
            url = make_url(connection)
            if url.drivername in ("postgres", "postgresql"):
                url = url.set(drivername="postgresql+psycopg")
            return url
        if client in ("pg", "postgres", "postgresql"):
            raise DatabaseConfigError("backend.database.connection: for client pg give a URL or a {host, ...} map")
        return URL.create("sqlite", database=str(Path(connection).expanduser()))
    if client in ("pg", "postgres", "postgresql"):
        if not isinstance(connection, Mapping):
            raise DatabaseConfigError("backend.database.connection: client pg needs {host, port, user, password}")
        return URL.create(
            "postgresql+psycopg",
            username=connection.get("user"),
            password=connection.get("password"),
            host=connection.get("host", "127.0.0.1"),
            port=int(connection["port"]) if connection.get("port") else None,
            database=connection.get("database") or "callboard",
        )
    if client in ("", "sqlite", "sqlite3", "better-sqlite3"):
        filename = connection.get("filename") if isinstance(connection, Mapping) else None
        path = Path(filename).expanduser() if filename else data_dir / "callboard.db"
        return URL.create("sqlite", database=str(path))
    raise DatabaseConfigError(f"backend.database.client: {client!r} is not supported; use pg or better-sqlite3")


def _postgres_settings(dbapi_connection: Any, _record: Any) -> None:
    """Plan each statement for its own values. psycopg prepares a statement run five times on a connection, and
    PostgreSQL may then keep one generic plan for any values: a text search planned for a common word then read
    every component for a rare one (2 ms became 440 ms at a million entities), and filters on skewed values (a
    kind with most entities, one with few) suffer alike. Planning these queries costs well under a millisecond."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the API) run while the processing loop writes; NORMAL is durable at checkpoints,
    # and a crash loses at most the last transaction, never consistency.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # Checkpoint the WAL in larger, rarer steps: ingestion writes in big batches.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


#: The write-ahead log size at which the writer empties it (``checkpoint_if_large``).
WAL_LIMIT_BYTES = 256 * 1024 * 1024


class Database:
    """One engine and the dialect facts callers need (``SKIP LOCKED`` exists only on PostgreSQL)."""

    def __init__(self, url: URL | str) -> None:
        self._after_commit: list[Callable[[Mapping[str, set[str]]], None]] = []
        self.url = make_url(url) if isinstance(url, str) else url
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if self.url.database:
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            # As many pooled connections as threads may ask at once (the web server's request threads and
            # those of plugin cards, 36 together): a connection beyond the pool is closed when returned, and
            # opening one (file, WAL, pragmas) under load cost more than the queries it served.
            self.engine: Engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=40,
                max_overflow=10,
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(self.url, pool_size=5, max_overflow=10, pool_pre_ping=True)
            event.listen(self.engine, "connect", _postgres_settings)
        self._reads: SqliteReads | ServerReads | None = None
        self._async_reads: AsyncServerReads | None = None

    @property
    def _in_memory(self) -> bool:
        """A private SQLite database that lives on the engine's connection, with no file beside it."""
        return self.is_sqlite and self.url.database in (None, "", ":memory:")

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction that commits on success and rolls back on any error.

        What the transaction noted (``note``) reaches the ``after_commit`` listeners once it has committed,
        and is dropped if it rolled back: listeners never hear of a change that did not happen.
        """
        with self.engine.begin() as connection:
            connection.info.pop(_NOTES, None)  # left by a transaction that failed on this pooled connection
            yield connection
            notes: dict[str, set[str]] = connection.info.pop(_NOTES, None) or {}
        if notes:
            for listener in self._after_commit:
                listener(notes)

    def after_commit(self, listener: Callable[[Mapping[str, set[str]]], None]) -> None:
        """Call ``listener(notes)`` after each committed transaction that noted something."""
        self._after_commit.append(listener)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

    def read(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """The rows of one read-only SQL statement (``:name`` placeholders) on the cheapest path the database
        offers, outside any transaction (``point_reads``): for the hottest single-row reads."""
        if self._reads is None:
            if self._in_memory:
                # A private in-memory database exists only on the engine's connection (sqlite3 takes :name).
                with self.connect() as connection:
                    return [tuple(row) for row in connection.exec_driver_sql(sql, params)]
            self._reads = SqliteReads(str(self.url.database)) if self.is_sqlite else ServerReads(self.url)
        return self._reads.rows(sql, params)

    def refresh_statistics(self, table: str) -> None:
        """The planner's statistics for ``table``, after large changes. On PostgreSQL also a VACUUM: rewritten
        rows leave dead versions behind, and until they are cleaned up index-only scans must visit the heap
        (the full-text filter's covering index, say) and autovacuum may not come for minutes."""
        if self.is_sqlite:
            with self.transaction() as connection:
                connection.exec_driver_sql("PRAGMA optimize")
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')

    def analyze(self, tables: Sequence[str]) -> None:
        """Fresh planner statistics for ``tables`` (PostgreSQL; SQLite's planner reads its indexes without).

        PostgreSQL's own statistics come from autovacuum, which may be off or minutes behind a table that
        grows tenfold during an ingestion: a table it has not seen is planned as small and scanned whole.
        """
        if self.is_sqlite:
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in tables:
                connection.exec_driver_sql(f'ANALYZE "{table}"')

    async def open_async(self) -> None:
        """Open the event loop's own point reads (PostgreSQL); the web app calls this as it starts."""
        if not self.is_sqlite:
            self._async_reads = AsyncServerReads(self.url)
            await self._async_reads.open()

    async def close_async(self) -> None:
        reads, self._async_reads = self._async_reads, None
        if reads is not None:
            await reads.close()

    async def read_async(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """``read`` for a coroutine: on SQLite in place (a local read is quicker than a hop to a thread), on
        PostgreSQL awaited on the loop's own connections, or in a worker thread where none were opened."""
        if self.is_sqlite:
            return self.read(sql, **params)
        reads = self._async_reads
        if reads is not None and reads.usable():
            return await reads.rows(sql, params)
        return await to_thread.run_sync(partial(self.read, sql, **params))

    def checkpoint_if_large(self, limit_bytes: int = WAL_LIMIT_BYTES) -> bool:
        """On SQLite, copy the write-ahead log into the database and empty it once it passes ``limit_bytes``.

        SQLite's own checkpoints never wait for readers, so while reads keep arriving (a busy portal) the log
        is never started again and grows: 3 GB after 90,000 entities, and every read searches it. This one
        waits (up to the busy timeout) for the readers of old log pages to finish. True if it ran.
        """
        if not self.is_sqlite or self._in_memory:
            return False
        try:
            size = Path(f"{self.url.database}-wal").stat().st_size
        except FileNotFoundError:
            return False
        if size < limit_bytes:
            return False
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return True

    def dispose(self) -> None:
        self.engine.dispose()
        if self._reads is not None:
            self._reads.close()
            self._reads = None

    def describe(self) -> str:
        return self.url.render_as_string(hide_password=True)


_NOTES = "callboard.notes"


def note(connection: Connection, topic: str, values: Iterable[str]) -> None:
    """Remember, for after the commit, that this transaction did ``topic`` to ``values`` (entity refs, say)."""
    found = set(values)
    if found:
        connection.info.setdefault(_NOTES, {}).setdefault(topic, set()).update(found)


def bulk_insert(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    update_on_conflict: tuple[str, ...] = (),
) -> None:
    """Insert many rows with one DBAPI ``executemany``, skipping SQLAlchemy's per-row parameter handling.

    Used for the filter index and relations, where a batch is tens of thousands of rows. A row whose unique
    key is taken is skipped (``ignore_conflicts``), or (``update_on_conflict``: the key column, then the
    columns to set) updates the row that has it.
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql" and not ignore_conflicts and not update_on_conflict:
        # COPY streams rows in one round trip, an order of magnitude faster than INSERT per row.
        raw: Any = connection.connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    if ignore_conflicts:
        statement += " ON CONFLICT DO NOTHING"
    elif update_on_conflict:
        key, *updated = update_on_conflict
        statement += f" ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(f"{name} = excluded.{name}" for name in updated)
    connection.exec_driver_sql(statement, [tuple(row) for row in rows])
