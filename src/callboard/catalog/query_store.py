"""SQL of the read side: entities by filter, order and page; by ref, uid and name; facets; ancestry; locations."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)

from callboard.catalog.filters import Condition, FilterSets
from callboard.catalog.page_order import OrderField, PageKey, after_key, order_columns, order_values
from callboard.storage.db import chunks
from callboard.storage.tables import (
    catalog_generation,
    final_entities,
    refresh_state,
    refresh_state_references,
    search,
    stitch_queue,
)


def condition_sql(condition: Condition, rows: Any = search, entity_id: Any = None) -> ColumnElement[bool]:
    """Whether the entity ``entity_id`` (by default the final entity's) satisfies ``condition``.

    A correlated EXISTS probes the (entity_id, key, value) index per candidate row: paging through a large
    result stops after one page instead of materialising every match first.
    """
    owner = final_entities.c.entity_id if entity_id is None else entity_id
    matching = select(literal(1)).where(rows.c.entity_id == owner, rows.c.key == condition.key)
    if condition.values is not None and condition.prefix:
        starts = [rows.c.value.like(_escape_like(value) + "%", escape="\\") for value in condition.values]
        matching = matching.where(or_(*starts) if starts else false())
    elif condition.values is not None:
        matching = matching.where(rows.c.value.in_(condition.values))
    return ~exists(matching) if condition.negated else exists(matching)


def filters_sql(sets: FilterSets) -> ColumnElement[bool]:
    if not sets or any(not conditions for conditions in sets):
        return true()  # no filter, or an alternative without conditions (which everything satisfies)
    alternatives = [and_(*(condition_sql(condition) for condition in conditions)) for conditions in sets]
    return or_(*alternatives) if alternatives else false()


@dataclass(frozen=True, slots=True)
class FullText:
    term: str
    fields: tuple[str, ...]


#: The fields the full-text filter usually searches, which PostgreSQL indexes for it (migrations 0013, 0018).
TEXT_KEYS = ("metadata.name", "metadata.title", "spec.profile.displayname", "metadata.description")


def _where(filters: FilterSets, full_text: FullText | None, *, postgres: bool = False) -> ColumnElement[bool]:
    condition = filters_sql(filters)
    if full_text is not None and full_text.term:
        condition = condition & final_entities.c.entity_id.in_(_text_matches(full_text, postgres=postgres))
    return condition


def _text_matches(full_text: FullText, *, postgres: bool) -> Any:
    """Ids of entities with a field containing the term (as Backstage: ``LIKE '%term%'`` on lower-cased values)."""
    fields = [field.lower() for field in full_text.fields]
    pattern = f"%{_escape_like(full_text.term.lower())}%"
    in_fields: ColumnElement[bool] = search.c.key.in_(fields)
    if postgres and set(fields) <= set(TEXT_KEYS):
        # Naming all indexed keys lets PostgreSQL use the partial trigram index; asking for the wanted keys through
        # an expression keeps it from also reading the (key, value) index, where each key has a row per entity:
        # at a million entities that added a million index entries to narrow down what the trigrams had found.
        in_fields = and_(search.c.key.in_(TEXT_KEYS), (search.c.key + "").in_(fields))
    return select(search.c.entity_id).where(in_fields, search.c.value.like(pattern, escape="\\"))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query_entities(
    connection: Connection,
    filters: FilterSets,
    *,
    order: Sequence[OrderField] = (),
    full_text: FullText | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[str]:
    """Final entity JSON texts matching the filters, ordered (ties broken by uid, Backstage's default) and paged.

    Ids are selected first over indexes alone; the (large) entity texts are read only for the page.
    """
    page = query_page(connection, filters, order=order, full_text=full_text, offset=offset, limit=limit)
    return [text for text, _ in page]


def query_page(
    connection: Connection,
    filters: FilterSets,
    *,
    order: Sequence[OrderField] = (),
    full_text: FullText | None = None,
    offset: int = 0,
    after: PageKey | None = None,
    limit: int | None = None,
) -> list[tuple[str, PageKey]]:
    """``query_entities`` with where each entity stands in the order (its ``PageKey``). Given ``after``, the
    page starts after that key rather than ``offset`` entities in, so a deep page costs what the first does.
    A text search over the name, ordered by name (the catalog table's), is ``_names_matching_first``.
    """
    postgres = connection.dialect.name == "postgresql"
    if (
        full_text is not None
        and full_text.term
        and NAME in (field.lower() for field in full_text.fields)
        and [item.field.lower() for item in order] == [NAME]
    ):
        statement = _names_matching_first(filters, order[0], full_text, after, postgres=postgres)
    else:
        values = order_values(order)
        condition = _where(filters, full_text, postgres=postgres)
        if after is not None:
            condition = condition & after_key(order, values, after)
        statement = select(final_entities.c.entity_id, *values).where(condition)
        statement = statement.order_by(*order_columns(order, values), final_entities.c.entity_id)
    if offset and after is None:
        statement = statement.offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    rows = connection.execute(statement).all()
    texts = texts_by_ids(connection, [row[0] for row in rows])
    return [(texts[row[0]], [*row[1:], row[0]]) for row in rows if row[0] in texts]


NAME = "metadata.name"


def _names_matching_first(
    filters: FilterSets, order: OrderField, full_text: FullText, after: PageKey | None, *, postgres: bool
) -> Any:
    """A page ordered by name of a text search that includes the name. The text index's matching rows are
    grouped by entity: where the name itself matched, the name is in hand; only entities that matched in another
    field alone (a title) look their name up (``coalesce`` evaluates the lookup for those alone). The general
    way looks every match's name up: at a million entities, 19,000 matches of a common word took 180 ms that
    way and 43 ms this way (``benchmarks/fulltext.py``)."""
    matching = _text_matches(full_text, postgres=postgres).add_columns(search.c.key, search.c.value)
    if len(filters) == 1:
        # Each filter row carries its entity's kind: "kind=component" (the catalog table's) needs no lookup.
        kinds = [c for c in filters[0] if c.key == "kind" and c.plain and c.values is not None]
        for condition in kinds:
            matching = matching.where(search.c.kind.in_(condition.values or ()))
        rest = tuple(c for c in filters[0] if c not in kinds)
        filters = (rest,) if rest else ()
    hits = matching.subquery("hits")
    matched_name = func.max(case((hits.c.key == NAME, hits.c.value)))
    grouped = select(hits.c.entity_id, matched_name.label("name")).group_by(hits.c.entity_id).subquery("grouped")
    looked_up = (
        select(func.min(search.c.value))
        .where(search.c.entity_id == grouped.c.entity_id, search.c.key == NAME)
        .scalar_subquery()
    )
    found = select(grouped.c.entity_id, func.coalesce(grouped.c.name, looked_up).label("value")).subquery("found")
    statement = select(found.c.entity_id, found.c.value)
    if filters:
        allowed = select(final_entities.c.entity_id).where(filters_sql(filters))
        statement = statement.where(found.c.entity_id.in_(allowed))
    if after is not None:
        statement = statement.where(after_key([order], [found.c.value], after, found.c.entity_id))
    value = found.c.value.desc() if order.descending else found.c.value.asc()
    return statement.order_by(value, found.c.entity_id)


def texts_by_ids(connection: Connection, ids: Sequence[str]) -> dict[str, str]:
    """Final entity JSON texts by entity id, for the ids that exist."""
    return _texts_where(connection, final_entities.c.entity_id, ids)


def _texts_where(connection: Connection, key: Any, values: Sequence[str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for start in range(0, len(values), 500):
        rows = connection.execute(
            select(key, final_entities.c.final_entity).where(key.in_(values[start : start + 500]))
        )
        texts.update({row[0]: row[1] for row in rows})
    return texts


def final_texts_by_ref(connection: Connection, page: int = 1000) -> Iterator[str]:
    """Every final entity's JSON, in entity-ref order, read a page at a time (keyset paging)."""
    last = ""
    while True:
        rows = connection.execute(
            select(final_entities.c.entity_ref, final_entities.c.final_entity)
            .where(final_entities.c.entity_ref > last)
            .order_by(final_entities.c.entity_ref)
            .limit(page)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row[1]
        last = rows[-1][0]


def count_entities(connection: Connection, filters: FilterSets, full_text: FullText | None = None) -> int:
    if full_text is None and len(filters) == 1 and len(filters[0]) == 1 and filters[0][0].plain:
        # One condition: count its range of the (key, value) index; each entity has a (key, value) row once.
        (condition,) = filters[0]
        if condition.values is not None and len(condition.values) == 1:
            statement = (
                select(func.count())
                .select_from(search)
                .where(search.c.key == condition.key, search.c.value == condition.values[0])
            )
        else:
            statement = select(func.count(func.distinct(search.c.entity_id))).where(search.c.key == condition.key)
            if condition.values is not None:
                statement = statement.where(search.c.value.in_(condition.values))
        return int(connection.execute(statement).scalar_one())
    postgres = connection.dialect.name == "postgresql"
    if full_text is not None and full_text.term and not filters:
        # Every filter row belongs to a final entity: counting the matches needs no pass over the entities.
        matches = _text_matches(full_text, postgres=postgres).subquery()
        statement = select(func.count(func.distinct(matches.c.entity_id)))
    else:
        statement = (
            select(func.count()).select_from(final_entities).where(_where(filters, full_text, postgres=postgres))
        )
    return int(connection.execute(statement).scalar_one())


#: ``Database.read`` of one entity's stored JSON by its ref (lower case).
ENTITY_BY_REF = "SELECT final_entity FROM final_entities WHERE entity_ref = :ref"


def entity_by_ref(connection: Connection, ref: str) -> str | None:
    row = connection.execute(select(final_entities.c.final_entity).where(final_entities.c.entity_ref == ref)).first()
    return row[0] if row else None


def entities_by_refs(connection: Connection, refs: Sequence[str], filters: FilterSets) -> dict[str, str]:
    found: dict[str, str] = {}
    unique = sorted(set(refs))
    for start in range(0, len(unique), 500):
        statement = select(final_entities.c.entity_ref, final_entities.c.final_entity).where(
            final_entities.c.entity_ref.in_(unique[start : start + 500]), filters_sql(filters)
        )
        found.update({row[0]: row[1] for row in connection.execute(statement)})
    return found


def entity_by_uid(connection: Connection, uid: str) -> str | None:
    row = connection.execute(select(final_entities.c.final_entity).where(final_entities.c.entity_id == uid)).first()
    return row[0] if row else None


def ref_by_uid(connection: Connection, uid: str) -> str | None:
    row = connection.execute(select(refresh_state.c.entity_ref).where(refresh_state.c.entity_id == uid)).first()
    return row[0] if row else None


def facets(connection: Connection, facet: str, filters: FilterSets) -> list[tuple[str, int]]:
    """Values of one facet key (original casing) with the number of matching entities for each.

    An entity has at most one index row per key and value, so rows are counted, not distinct entities. A
    filter on kind (what catalog views use) narrows the scan to that kind's range of the index.
    """
    count = func.count()
    statement = select(search.c.original_value, count).where(
        search.c.key == facet.lower(), search.c.original_value.is_not(None)
    )
    kinds, rest = _split_kind(filters)
    if kinds is not None:
        statement = statement.where(search.c.kind.in_(kinds))
        for condition in rest:
            statement = statement.where(condition_sql(condition, search_alias, search.c.entity_id))
    elif filters:
        matching = select(final_entities.c.entity_id).where(filters_sql(filters))
        statement = statement.where(search.c.entity_id.in_(matching))
    statement = statement.group_by(search.c.original_value).order_by(count.desc(), search.c.original_value)
    return [(row[0], int(row[1])) for row in connection.execute(statement)]


search_alias = search.alias("probe")


def _split_kind(filters: FilterSets) -> tuple[tuple[str, ...] | None, tuple[Condition, ...]]:
    """For a single filter set with a kind condition: the kinds, and the other conditions."""
    if len(filters) != 1:
        return None, ()
    conditions = filters[0]
    for index, condition in enumerate(conditions):
        if condition.key == "kind" and condition.values is not None and condition.plain:
            return condition.values, conditions[:index] + conditions[index + 1 :]
    return None, ()


def parents_of(connection: Connection, ref: str) -> tuple[list[str], bool]:
    """Parent entity refs of ``ref`` and whether a provider keeps it alive directly (it is a root)."""
    rows = connection.execute(
        select(refresh_state_references.c.source_entity_ref, refresh_state_references.c.source_key).where(
            refresh_state_references.c.target_entity_ref == ref
        )
    ).all()
    return sorted({row[0] for row in rows if row[0]}), any(row[1] for row in rows)


def processing_state(connection: Connection, ref: str) -> dict[str, Any] | None:
    row = connection.execute(
        select(refresh_state.c.entity_id, refresh_state.c.errors, refresh_state.c.processed_entity.is_not(None)).where(
            refresh_state.c.entity_ref == ref
        )
    ).first()
    if row is None:
        return None
    return {"entity_id": row[0], "errors": json.loads(row[1] or "[]"), "processed": bool(row[2])}


# -- portal pages -------------------------------------------------------------------------------------------


def failing_items(connection: Connection, limit: int) -> list[dict[str, Any]]:
    """Entities whose last processing reported errors (including ones that never processed), by ref."""
    rows = connection.execute(
        select(
            refresh_state.c.entity_ref,
            refresh_state.c.errors,
            refresh_state.c.processed_entity.is_not(None),
            refresh_state.c.location_key,
            refresh_state.c.unprocessed_entity,
        )
        .where(refresh_state.c.errors.is_not(None), refresh_state.c.errors != "[]")
        .order_by(refresh_state.c.entity_ref)
        .limit(limit)
    ).all()
    found = []
    for ref, errors, processed, location_key, unprocessed in rows:
        found.append(
            {
                "ref": ref,
                "errors": json.loads(errors),
                "processed": bool(processed),
                "location_key": location_key,
                "location": _managed_by(unprocessed) or location_key,
            }
        )
    return found


def _managed_by(unprocessed: str) -> str | None:
    """The location annotation of an entity as written, which may be of any shape (it failed processing)."""
    entity = json.loads(unprocessed)
    metadata = entity.get("metadata") if isinstance(entity, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    value = annotations.get("backstage.io/managed-by-location") if isinstance(annotations, dict) else None
    return value if isinstance(value, str) else None


def entity_ids(connection: Connection) -> list[str]:
    return [row[0] for row in connection.execute(select(final_entities.c.entity_id))]


def browse_rows(connection: Connection, keys: Sequence[str]) -> Iterator[tuple[str, str, str | None, str | None]]:
    """Filter-index rows (entity id, key, value as written, lower-case value) for ``keys``, streamed."""
    statement = select(search.c.entity_id, search.c.key, search.c.original_value, search.c.value).where(
        search.c.key.in_(keys)
    )
    for row in connection.execution_options(yield_per=5000).execute(statement):
        yield row[0], row[1], row[2], row[3]


#: ``Database.read`` of the catalog's generation (see ``generation``).
GENERATION = "SELECT value FROM catalog_generation WHERE id = 1"


def generation(connection: Connection) -> int:
    """The catalog's generation: it changes in every transaction that writes or deletes final entities.

    -1 when the database has no generation row (it was not created by the migrations): nothing is reused.
    """
    value = connection.execute(select(catalog_generation.c.value).where(catalog_generation.c.id == 1)).scalar()
    return -1 if value is None else int(value)


def entity_count(connection: Connection) -> int:
    """How many final entities the catalog holds (a scan: the indexer asks every 15 s, pages never)."""
    return int(connection.execute(select(func.count()).select_from(final_entities)).scalar_one())


def ids_where(connection: Connection, key: str, values: Sequence[str] | None) -> list[str]:
    """Ids of entities with ``key`` (any value, or one of ``values``) in the filter index."""
    statement = select(search.c.entity_id).where(search.c.key == key)
    if values is not None:
        statement = statement.where(search.c.value.in_(values))
    return [row[0] for row in connection.execute(statement)]


def changed_since(connection: Connection, since: float, after_ref: str, limit: int) -> list[tuple[str, str, float]]:
    """(ref, entity JSON, updated_at) written after (since, after_ref), oldest first: an incremental feed."""
    later = final_entities.c.last_updated_at > since
    same_time = (final_entities.c.last_updated_at == since) & (final_entities.c.entity_ref > after_ref)
    statement = (
        select(final_entities.c.entity_ref, final_entities.c.final_entity, final_entities.c.last_updated_at)
        .where(later | same_time)
        .order_by(final_entities.c.last_updated_at, final_entities.c.entity_ref)
        .limit(limit)
    )
    return [(row[0], row[1], float(row[2])) for row in connection.execute(statement)]


#: ``existing_refs``: the refs travel as one parameter (an array, or a JSON list SQLite unpacks), not one each:
#: with a placeholder per ref the search index's look for deletions took 4.5 s instead of 2.9 at 200,000
#: entities on PostgreSQL (``benchmarks/search_deletions.py``). Batches of 500: with 2,000 refs in the array
#: PostgreSQL chose to scan the table instead of looking each up.
_EXISTING = {
    "postgresql": "SELECT entity_ref FROM final_entities WHERE entity_ref = ANY(%(refs)s)",
    "sqlite": "SELECT entity_ref FROM final_entities WHERE entity_ref IN (SELECT value FROM json_each(:refs))",
}


def existing_refs(connection: Connection, refs: Sequence[str]) -> set[str]:
    """Those of ``refs`` (lower case) that are final entities."""
    postgres = connection.dialect.name == "postgresql"
    sql = _EXISTING["postgresql" if postgres else "sqlite"]
    found: set[str] = set()
    for chunk in chunks(list(refs)):  # slices of a list: lists, as psycopg adapts to an array
        rows = connection.exec_driver_sql(sql, {"refs": chunk if postgres else json.dumps(chunk)})
        found.update(row[0] for row in rows)
    return found


def texts_by_refs(connection: Connection, refs: Sequence[str]) -> dict[str, str]:
    """Final entity JSON texts by (lower-case) entity ref, for the refs that exist."""
    return _texts_where(connection, final_entities.c.entity_ref, refs)


def pending_count(connection: Connection) -> int:
    """Items due for processing plus entities waiting to be stitched."""
    now = time.time()
    statement = select(func.count()).select_from(refresh_state).where(refresh_state.c.next_update_at <= now)
    queued = select(func.count()).select_from(stitch_queue)
    return int(connection.execute(statement).scalar_one()) + int(connection.execute(queued).scalar_one())
