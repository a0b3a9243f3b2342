"""Discovery's memory in the database, shared by replicas: one row per repository and source."""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqlalchemy import delete, insert, select

from callboard.discovery.scanner import StoredRepository
from callboard.storage.db import Database, chunks
from callboard.storage.tables import discovery_repositories as table


class DatabaseState:
    def __init__(self, database: Database) -> None:
        self._db = database

    def load(self, source: str) -> dict[str, StoredRepository]:
        with self._db.connect() as connection:
            rows = connection.execute(select(table).where(table.c.source == source)).all()
        return {
            row.name: StoredRepository(
                row.revision, row.version, json.loads(row.inferred), row.location, row.last_seen, row.missing_since
            )
            for row in rows
        }

    def save(self, source: str, repositories: Mapping[str, StoredRepository]) -> None:
        rows = [
            {
                "source": source,
                "name": name,
                "revision": stored.revision,
                "version": stored.version,
                "inferred": json.dumps(stored.inferred, sort_keys=True),
                "location": stored.location,
                "last_seen": stored.last_seen,
                "missing_since": stored.missing_since,
            }
            for name, stored in repositories.items()
        ]
        with self._db.transaction() as connection:
            connection.execute(delete(table).where(table.c.source == source))
            for batch in chunks(rows):
                connection.execute(insert(table), list(batch))
