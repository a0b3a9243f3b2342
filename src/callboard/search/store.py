"""Search engines that keep the index in Callboard's own database: SQLite FTS5 and PostgreSQL full-text.

Both share the ``search_documents`` table and differ only in how words are matched and scored. Words
reach SQL as bound parameters, never spliced into the statement; FTS5 match expressions quote every word.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice, product
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    column,
    delete,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
    true,
)
from sqlalchemy.sql import Select

from callboard.search.documents import SearchDocument
from callboard.search.engine import Candidate, Match
from callboard.search.terms import words
from callboard.storage.db import Database, chunks
from callboard.storage.tables import search_documents, search_state

#: Matches scored exactly; a term matching more is answered from titles that start with it, then a sample.
TIER_LIMIT = 1000

_LIGHT = (
    search_documents.c.id,
    search_documents.c.type,
    search_documents.c.key,
    search_documents.c.title,
    search_documents.c.title_words,
    search_documents.c.location,
    search_documents.c.resource_ref,
    search_documents.c.kind,
    search_documents.c.owner,
    search_documents.c.lifecycle,
)


def _row(document: SearchDocument, now: float) -> dict[str, Any]:
    return {
        "type": document.type,
        "key": document.key,
        "resource_ref": document.resource_ref,
        "title": document.title,
        "title_words": " ".join(words(document.title)),
        "keywords": document.keywords,
        "text": document.text,
        "location": document.location,
        "kind": document.kind,
        "owner": document.owner,
        "lifecycle": document.lifecycle,
        "document": json.dumps(dict(document.fields), separators=(",", ":")),
        "updated_at": now,
    }


def _document(row: Row[Any]) -> SearchDocument:
    return SearchDocument(
        type=row.type,
        key=row.key,
        title=row.title,
        text=row.text,
        location=row.location,
        keywords=row.keywords,
        resource_ref=row.resource_ref,
        kind=row.kind,
        owner=row.owner,
        lifecycle=row.lifecycle,
        fields=json.loads(row.document),
    )


def _candidate(row: Any, score: float) -> Candidate:
    return Candidate(
        row.id,
        row.type,
        row.key,
        row.title,
        row.title_words,
        row.location,
        row.resource_ref,
        row.kind,
        row.owner,
        row.lifecycle,
        score,
    )


def _filtered(statement: Select[Any], match: Match) -> Select[Any]:
    if match.types:
        statement = statement.where(search_documents.c.type.in_(match.types))
    for name, values in match.filters.items():
        statement = statement.where(search_documents.c[name].in_([value.lower() for value in values]))
    return statement


def _phrases(match: Match, limit: int = 4) -> list[str]:
    """The words as titles would hold them, for every reading of the typed words (at most ``limit``)."""
    return [" ".join(reading) for reading in islice(product(*match.words), limit)]


class SqlSearchEngine:
    """The shared half: documents in, documents out, state; subclasses match and score words."""

    name = "sql"
    sample = TIER_LIMIT

    def __init__(self, database: Database) -> None:
        self._db = database

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        if not documents:
            return
        now = time.time()
        with self._db.transaction() as connection:
            for batch in chunks(list({(d.type, d.key): d for d in documents}.values())):
                self._delete_keys(connection, [(d.type, d.key) for d in batch])
                connection.execute(insert(search_documents), [_row(d, now) for d in batch])

    def _delete_keys(self, connection: Connection, pairs: Sequence[tuple[str, str]]) -> None:
        by_type: dict[str, list[str]] = {}
        for type, key in pairs:
            by_type.setdefault(type, []).append(key)
        for type, keys in by_type.items():
            self._delete_of_type(connection, type, keys)

    def _delete_of_type(self, connection: Connection, type: str, keys: Sequence[str]) -> None:
        # ``type = ? AND key IN (...)``, not ``(type, key) IN (...)``: SQLite does not look a row-value list up
        # in the (type, key) index and read the whole table for each batch instead.
        connection.execute(
            delete(search_documents).where(search_documents.c.type == type, search_documents.c.key.in_(keys))
        )

    def delete(self, type: str, keys: Sequence[str]) -> None:
        if not keys:
            return
        with self._db.transaction() as connection:
            for batch in chunks(list(keys)):
                self._delete_of_type(connection, type, batch)

    def replace_resource(self, type: str, resource_ref: str, documents: Sequence[SearchDocument]) -> None:
        now = time.time()
        with self._db.transaction() as connection:
            connection.execute(
                delete(search_documents).where(
                    search_documents.c.type == type, search_documents.c.resource_ref == resource_ref
                )
            )
            if documents:
                connection.execute(insert(search_documents), [_row(d, now) for d in documents])

    def keys(self, type: str) -> set[str]:
        with self._db.connect() as connection:
            return set(connection.scalars(select(search_documents.c.key).where(search_documents.c.type == type)))

    def keys_after(self, type: str, after: str, limit: int) -> list[str]:
        statement = (
            select(search_documents.c.key)
            .where(search_documents.c.type == type, search_documents.c.key > after)
            .order_by(search_documents.c.key)
            .limit(limit)
        )
        with self._db.connect() as connection:
            return list(connection.scalars(statement))

    def count(self, type: str | None = None) -> int:
        statement = select(func.count()).select_from(search_documents)
        if type is not None:
            statement = statement.where(search_documents.c.type == type)
        with self._db.connect() as connection:
            return int(connection.execute(statement).scalar_one())

    def candidates(self, match: Match, limit: int) -> tuple[list[Candidate], bool]:
        """The best matches, scored by the engine among the first ``sample`` it finds.

        Scoring costs time in proportion to the matches, so for a broader term (a word most documents
        hold) the scored ones are only a sample, and titles that start with the words (the exact title
        first) go before them.
        """
        with self._db.connect() as connection:
            if not match.words:
                statement = _filtered(select(*_LIGHT), match).order_by(search_documents.c.title_words).limit(limit + 1)
                listed = connection.execute(statement).all()
                return [_candidate(row, 0.0) for row in listed[:limit]], len(listed) > limit
            scored, total = self._scored(connection, match, self.sample + 1, limit)
            top = max((float(row.score) for row in scored), default=0.0) or 1.0
            found = [_candidate(row, max(float(row.score), 0.0) / top) for row in scored]
            if total > self.sample:
                prefixed = [_candidate(row, 2.0) for row in self._title_prefixed(connection, match, limit)]
                ids = {candidate.id for candidate in prefixed}
                found = prefixed + [candidate for candidate in found if candidate.id not in ids]
        return found, total > limit

    def _scored(self, connection: Connection, match: Match, sample: int, limit: int) -> tuple[list[Candidate], int]:
        """The best ``limit`` among the first ``sample`` matches (with the engine's score), and how many
        matches there were (at most ``sample``)."""
        raise NotImplementedError

    def _title_prefixed(self, connection: Connection, match: Match, limit: int) -> list[Any]:
        """Rows (light columns) whose title starts with the words, in title order (the exact title first)."""
        raise NotImplementedError

    def documents(self, ids: Sequence[int]) -> dict[int, SearchDocument]:
        found: dict[int, SearchDocument] = {}
        with self._db.connect() as connection:
            for batch in chunks(list(ids)):
                statement = select(search_documents).where(search_documents.c.id.in_(batch))
                found.update({row.id: _document(row) for row in connection.execute(statement)})
        return found

    def vocabulary_texts(self) -> Iterator[str]:
        with self._db.connect() as connection:
            for title, keywords in connection.execute(select(search_documents.c.title, search_documents.c.keywords)):
                yield f"{title} {keywords}"

    def version(self) -> tuple[Any, ...]:
        # Both come from an index in a few page reads; a count would scan the table. A deletion alone
        # leaves them as they were, which only keeps a removed word correctable until the next write.
        with self._db.connect() as connection:
            row = connection.execute(
                select(func.max(search_documents.c.id), func.max(search_documents.c.updated_at))
            ).one()
        return tuple(row)

    def load_state(self, collator: str) -> dict[str, Any]:
        with self._db.connect() as connection:
            found = connection.execute(
                select(search_state.c.state).where(search_state.c.collator == collator)
            ).scalar_one_or_none()
        loaded: dict[str, Any] = json.loads(found) if found else {}
        return loaded

    def save_state(self, collator: str, state: Mapping[str, Any]) -> None:
        with self._db.transaction() as connection:
            connection.execute(delete(search_state).where(search_state.c.collator == collator))
            connection.execute(insert(search_state).values(collator=collator, state=json.dumps(dict(state))))

    def size(self) -> dict[str, int]:
        raise NotImplementedError


def fts5_expression(match: Match) -> str:
    """An FTS5 query: each word (or its correction) quoted, the last one as a prefix, joined by AND or OR."""
    groups = []
    last = len(match.words) - 1
    for index, spellings in enumerate(match.words):
        star = "*" if index == last else ""
        groups.append("(" + " OR ".join(f'"{word}"{star}' for word in spellings) + ")")
    return (" AND " if match.mode == "all" else " OR ").join(groups)


_FTS = table("search_fts", column("rowid"))


class Fts5Engine(SqlSearchEngine):
    """SQLite's FTS5 with BM25: titles count ten times and keywords four times as much as prose."""

    name = "sqlite-fts5"

    def _scored(self, connection: Connection, match: Match, sample: int, limit: int) -> tuple[list[Any], int]:
        # bm25 is negative, lower is better: turned around, so every engine's score grows with relevance.
        score: ColumnElement[float] = literal_column("-bm25(search_fts, 10.0, 4.0, 1.0)")
        matching = text("search_fts MATCH :expression").bindparams(expression=fts5_expression(match))
        first_select = select(_FTS.c.rowid.label("id"), score.label("score")).where(matching)
        if match.types or match.filters:  # joined only when needed: a lookup per match
            joined = _FTS.join(search_documents, search_documents.c.id == _FTS.c.rowid)
            first_select = _filtered(first_select.select_from(joined), match)
        first = first_select.limit(sample).subquery("first")
        statement = (
            select(*_LIGHT, first.c.score, func.count().over().label("total"))
            .select_from(first.join(search_documents, search_documents.c.id == first.c.id))
            .order_by(first.c.score.desc())
            .limit(limit)
        )
        rows = connection.execute(statement).all()
        return list(rows), int(rows[0].total) if rows else 0

    def _title_prefixed(self, connection: Connection, match: Match, limit: int) -> list[Any]:
        found: list[Any] = []
        for phrase in _phrases(match):
            # Under SQLite's binary collation every title starting with the phrase sorts between these two.
            upper = phrase[:-1] + chr(ord(phrase[-1]) + 1)
            column = search_documents.c.title_words
            statement = _filtered(select(*_LIGHT), match).where(column >= phrase, column < upper)
            found += connection.execute(statement.order_by(column).limit(limit)).all()
        return found

    def size(self) -> dict[str, int]:
        with self._db.connect() as connection:
            pages = connection.exec_driver_sql(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_fts%' OR name LIKE 'search_documents%' "
                "OR name LIKE 'ix_search_documents%' OR name LIKE 'sqlite_autoindex_search_documents%'"
            ).scalar_one()
            rows = connection.execute(select(func.count()).select_from(search_documents)).scalar_one()
        return {"bytes": int(pages or 0), "rows": int(rows)}


class PostgresEngine(SqlSearchEngine):
    """PostgreSQL full-text search over a generated, weighted ``tsvector`` (titles A, keywords B, prose C)."""

    name = "postgresql"
    # PostgreSQL tests each row's tsvector to find matches (about a microsecond each), so it samples less.
    sample = 600

    def _query(self, match: Match) -> Any:
        """The tsquery as a one-row subquery ``query.q``; words are bound parameters."""
        params: dict[str, str] = {}
        groups = []
        last = len(match.words) - 1
        for index, spellings in enumerate(match.words):
            alternatives = []
            for position, word in enumerate(spellings):
                name = f"w{index}_{position}"
                params[name] = f"{word}:*" if index == last else word
                # 'simple' keeps names whole; 'english' stems prose (and drops stop words, hence both).
                alternatives.append(f"to_tsquery('simple', :{name}) || to_tsquery('english', :{name})")
            groups.append("(" + " || ".join(alternatives) + ")")
        expression = (" && " if match.mode == "all" else " || ").join(groups)
        return text(f"SELECT {expression} AS q").bindparams(**params).columns(column("q")).subquery("query")

    def _scored(self, connection: Connection, match: Match, sample: int, limit: int) -> tuple[list[Any], int]:
        query = self._query(match)
        first = (
            _filtered(
                select(
                    *_LIGHT, literal_column("search_documents.tsv").label("tsv"), literal_column("query.q").label("q")
                )
                .select_from(search_documents.join(query, true()))
                .where(text("search_documents.tsv @@ query.q")),
                match,
            )
            .limit(sample)
            .subquery("first")
        )
        score: ColumnElement[float] = literal_column("ts_rank('{0.05, 0.1, 0.4, 1.0}', first.tsv, first.q)")
        light = [first.c[column.name] for column in _LIGHT]
        statement = select(*light, score.label("score"), func.count().over().label("total"))
        rows = connection.execute(statement.order_by(score.desc()).limit(limit)).all()
        return list(rows), int(rows[0].total) if rows else 0

    def _title_prefixed(self, connection: Connection, match: Match, limit: int) -> list[Any]:
        found: list[Any] = []
        # Compared byte by byte ("C"), as the index is built, so the range holds exactly the titles starting
        # with the phrase, in the index's order.
        column = search_documents.c.title_words.collate("C")
        for phrase in _phrases(match):
            upper = phrase[:-1] + chr(ord(phrase[-1]) + 1)
            statement = _filtered(select(*_LIGHT), match).where(column >= phrase, column < upper)
            found += connection.execute(statement.order_by(column).limit(limit)).all()
        return found

    def size(self) -> dict[str, int]:
        with self._db.connect() as connection:
            total = connection.exec_driver_sql("SELECT pg_total_relation_size('search_documents')").scalar_one()
            rows = connection.execute(select(func.count()).select_from(search_documents)).scalar_one()
        return {"bytes": int(total), "rows": int(rows)}


def engine_for(database: Database) -> SqlSearchEngine:
    return Fts5Engine(database) if database.is_sqlite else PostgresEngine(database)
