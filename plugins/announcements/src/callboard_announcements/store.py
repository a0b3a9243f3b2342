"""Reading and writing posts; every function takes the plugin's database from its context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select

from callboard.sdk import PluginDatabase
from callboard_announcements.tables import posts

MAX_LISTED = 200


def add(database: PluginDatabase, team: str, title: str, body: str, author: str, now: float, source: str) -> int:
    with database.transaction() as connection:
        result = connection.execute(
            insert(posts).values(team=team, title=title, body=body, author=author, created_at=now, source=source)
        )
        key = result.inserted_primary_key
        return int(key[0]) if key else 0


def exists(database: PluginDatabase, team: str, title: str) -> bool:
    with database.connect() as connection:
        found = connection.execute(select(posts.c.id).where(posts.c.team == team, posts.c.title == title)).first()
        return found is not None


def listed(database: PluginDatabase, teams: Sequence[str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
    query = select(posts).order_by(posts.c.created_at.desc(), posts.c.id.desc()).limit(min(limit, MAX_LISTED))
    if teams is not None:
        query = query.where(posts.c.team.in_([team.lower() for team in teams]))
    with database.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def get(database: PluginDatabase, post_id: int) -> dict[str, Any] | None:
    with database.connect() as connection:
        row = connection.execute(select(posts).where(posts.c.id == post_id)).first()
        return dict(row._mapping) if row else None


def remove(database: PluginDatabase, post_id: int) -> bool:
    with database.transaction() as connection:
        return connection.execute(delete(posts).where(posts.c.id == post_id)).rowcount == 1


def expire(database: PluginDatabase, before: float) -> int:
    with database.transaction() as connection:
        return connection.execute(delete(posts).where(posts.c.created_at < before)).rowcount


def count(database: PluginDatabase) -> int:
    with database.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(posts)).scalar_one())
