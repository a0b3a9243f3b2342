"""Discovery's memory in the database, shared by replicas: one row per repository and source."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

from sqlalchemy import delete, insert, select

from callboard.discovery.scanner import KEPT_RUNS, RunSummary, StoredRepository
from callboard.storage.db import Database, chunks
from callboard.storage.tables import discovery_repositories as table
from callboard.storage.tables import discovery_runs


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

    def save_run(self, source: str, run: RunSummary) -> None:
        summary = json.dumps(dataclasses.asdict(run), sort_keys=True)
        with self._db.transaction() as connection:
            connection.execute(
                delete(discovery_runs).where(
                    discovery_runs.c.source == source, discovery_runs.c.started_at == run.started_at
                )
            )
            connection.execute(insert(discovery_runs).values(source=source, started_at=run.started_at, summary=summary))
            kept = select(discovery_runs.c.started_at).where(discovery_runs.c.source == source)
            oldest_kept = connection.execute(
                kept.order_by(discovery_runs.c.started_at.desc()).offset(KEPT_RUNS - 1).limit(1)
            ).scalar()
            if oldest_kept is not None:
                connection.execute(
                    delete(discovery_runs).where(
                        discovery_runs.c.source == source, discovery_runs.c.started_at < oldest_kept
                    )
                )

    def runs(self, source: str, limit: int = 10) -> list[RunSummary]:
        with self._db.connect() as connection:
            rows = connection.execute(
                select(discovery_runs.c.summary)
                .where(discovery_runs.c.source == source)
                .order_by(discovery_runs.c.started_at.desc())
                .limit(limit)
            ).all()
        return [RunSummary(**json.loads(row[0])) for row in rows]
