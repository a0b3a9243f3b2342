"""Copy one Callboard database into another (SQLite to PostgreSQL, say), table by table, nothing left out.

Both sides are at the same migration revision (the target is migrated first), so the tables line up column by
column. Rows go over in batches within one transaction on the target: a copy that fails leaves the target as
empty as it was. Afterwards every table is counted on both sides and every entity compared; the report says
where they differ. PostgreSQL's id sequences are moved past the copied ids, so new rows do not collide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Integer, Table, delete, func, insert, select, text

from callboard.storage.db import Database
from callboard.storage.tables import audit_log, final_entities, locations, metadata, refresh_state

BATCH = 2000


class CopyRefused(Exception):
    """The target is not a place to copy into (it already holds data); the message says what to do."""


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)
    #: Tables whose row counts differ after the copy, and entities whose stored JSON differs (or is missing).
    mismatched_tables: list[str] = field(default_factory=list)
    mismatched_entities: list[str] = field(default_factory=list)

    @property
    def entities(self) -> int:
        return self.rows.get(final_entities.name, 0)

    @property
    def ok(self) -> bool:
        return not self.mismatched_tables and not self.mismatched_entities


def tables_to_copy(extra: Iterable[Table] = ()) -> list[Table]:
    """Callboard's tables in dependency order (referenced ones first), then the plugins' tables."""
    return [*metadata.sorted_tables, *extra]


def copy_database(
    source: Database,
    target: Database,
    tables: Sequence[Table],
    progress: Callable[[str, int], None] = lambda table, rows: None,
) -> CopyReport:
    report = CopyReport()
    with source.connect() as reading, target.transaction() as writing:
        for table in (final_entities, refresh_state, locations, audit_log):
            held = writing.execute(select(func.count()).select_from(table)).scalar_one()
            if held:
                raise CopyRefused(
                    f"the target database already holds {held} rows in {table.name}; copy into a new, empty "
                    "database (Callboard creates its tables there)"
                )
        for table in reversed(tables):  # rows the migrations seeded (the catalog's generation counter) give way
            writing.execute(delete(table))
        for table in tables:
            copied = 0
            rows = reading.execution_options(yield_per=BATCH).execute(select(table))
            for batch in rows.partitions(BATCH):
                writing.execute(insert(table), [dict(row._mapping) for row in batch])
                copied += len(batch)
                progress(table.name, len(batch))
            report.rows[table.name] = copied
        if not target.is_sqlite:
            for table in tables:
                _move_sequence(writing, table)
    _verify(source, target, tables, report)
    return report


def _move_sequence(connection: Connection, table: Table) -> None:
    for column in table.primary_key.columns:
        if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"coalesce((SELECT max({column.name}) FROM {table.name}), 1), "
                    f"(SELECT max({column.name}) FROM {table.name}) IS NOT NULL) "
                    f"WHERE pg_get_serial_sequence('{table.name}', '{column.name}') IS NOT NULL"
                )
            )


def _verify(source: Database, target: Database, tables: Sequence[Table], report: CopyReport) -> None:
    with source.connect() as before, target.connect() as after:
        for table in tables:
            counted = [c.execute(select(func.count()).select_from(table)).scalar_one() for c in (before, after)]
            if counted[0] != counted[1]:
                report.mismatched_tables.append(f"{table.name}: {counted[0]} rows here, {counted[1]} there")
        query = select(final_entities.c.entity_id, final_entities.c.final_entity).order_by(final_entities.c.entity_id)
        theirs = {row[0]: row[1] for row in after.execute(query)}
        for entity_id, entity in before.execute(query):
            if theirs.get(entity_id) != entity:
                report.mismatched_entities.append(str(entity_id))
