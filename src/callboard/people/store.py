"""Stars and visits in the database: one row per person and entity, with when it was starred and last visited."""

from __future__ import annotations

import time

from sqlalchemy import ColumnElement, and_, delete, select, update

from callboard.storage.db import Database, bulk_insert
from callboard.storage.tables import user_marks as table

#: Visits kept per person: enough for "recently visited" and a little history, never a growing log.
KEEP_VISITS = 30


class Marks:
    """Starred and recently visited entities, keyed by the person's ref (``user:default/ada``) and lower-case refs."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def star(self, user: str, ref: str, starred: bool) -> None:
        key = ref.lower()
        with self._db.transaction() as connection:
            if starred:
                bulk_insert(
                    connection,
                    table.name,
                    ("user_ref", "entity_ref", "starred_at"),
                    [(user, key, time.time())],
                    update_on_conflict=("user_ref, entity_ref", "starred_at"),
                )
            else:
                connection.execute(
                    update(table).where(table.c.user_ref == user, table.c.entity_ref == key).values(starred_at=None)
                )
                connection.execute(delete(table).where(_unused(user, key)))

    def starred(self, user: str) -> list[str]:
        """Starred refs, the latest first."""
        query = select(table.c.entity_ref).where(table.c.user_ref == user, table.c.starred_at.is_not(None))
        with self._db.connect() as connection:
            return [row[0] for row in connection.execute(query.order_by(table.c.starred_at.desc()))]

    def is_starred(self, user: str, ref: str) -> bool:
        query = select(table.c.starred_at).where(table.c.user_ref == user, table.c.entity_ref == ref.lower())
        with self._db.connect() as connection:
            return connection.execute(query).scalar() is not None

    def visited(self, user: str, ref: str, at: float | None = None) -> None:
        """Remember a visit; past ``KEEP_VISITS`` entities the oldest visit is forgotten (a star is kept)."""
        with self._db.transaction() as connection:
            bulk_insert(
                connection,
                table.name,
                ("user_ref", "entity_ref", "visited_at"),
                [(user, ref.lower(), time.time() if at is None else at)],
                update_on_conflict=("user_ref, entity_ref", "visited_at"),
            )
            oldest = (
                select(table.c.visited_at)
                .where(table.c.user_ref == user, table.c.visited_at.is_not(None))
                .order_by(table.c.visited_at.desc())
                .offset(KEEP_VISITS)
                .limit(1)
            )
            cutoff = connection.execute(oldest).scalar()
            if cutoff is not None:
                stale = and_(table.c.user_ref == user, table.c.visited_at <= cutoff)
                connection.execute(update(table).where(stale).values(visited_at=None))
                connection.execute(delete(table).where(table.c.user_ref == user, _both_empty()))

    def recent(self, user: str, limit: int = 10) -> list[tuple[str, float]]:
        """(ref, when) of the last visits, the latest first."""
        query = (
            select(table.c.entity_ref, table.c.visited_at)
            .where(table.c.user_ref == user, table.c.visited_at.is_not(None))
            .order_by(table.c.visited_at.desc())
            .limit(limit)
        )
        with self._db.connect() as connection:
            return [(row[0], float(row[1])) for row in connection.execute(query)]


def _both_empty() -> ColumnElement[bool]:
    return and_(table.c.starred_at.is_(None), table.c.visited_at.is_(None))


def _unused(user: str, key: str) -> ColumnElement[bool]:
    return and_(table.c.user_ref == user, table.c.entity_ref == key, _both_empty())
