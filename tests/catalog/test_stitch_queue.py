"""Stitching computes while the database writes: a change that arrives meanwhile is never lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from callboard.app import Runtime
from callboard.catalog import stitch_store
from callboard.catalog.filters import parse_filters
from callboard.storage.tables import final_entities, refresh_state, search, stitch_queue
from tests.catalog.fixtures import config, write_catalog
from tests.support import database_for, make_runtime

REF = "component:default/artist-web"


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    root = write_catalog(tmp_path / "repo")
    with database_for(str(request.param), tmp_path) as database:
        runtime = make_runtime(config(root, database), tmp_path)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            yield runtime
        finally:
            runtime.close()


def describe(runtime: Runtime, description: str) -> None:
    """Change the processed entity as a processing batch would, and queue it for stitching."""
    with runtime.database.transaction() as connection:
        text = connection.execute(select(refresh_state.c.processed_entity).where(refresh_state.c.entity_ref == REF))
        entity = json.loads(text.scalar_one())
        entity["metadata"]["description"] = description
        connection.execute(
            update(refresh_state).where(refresh_state.c.entity_ref == REF).values(processed_entity=json.dumps(entity))
        )
        stitch_store.enqueue_stitch(connection, [REF])


def queued(runtime: Runtime) -> set[str]:
    with runtime.database.connect() as connection:
        return set(connection.execute(select(stitch_queue.c.entity_ref)).scalars())


def test_an_entity_queued_again_while_its_stitch_was_planned_stays_queued(runtime: Runtime) -> None:
    postgres = not runtime.database.is_sqlite
    describe(runtime, "first")
    with runtime.database.connect() as connection:
        taken = stitch_store.next_queued(connection, 100)
        plan = stitch_store.plan_stitch(connection, taken, queued=taken)
    assert REF in taken and [final[1] for final in plan.finals] == [REF]
    describe(runtime, "second")  # arrives after the plan read the entity, before its write
    with runtime.database.transaction() as connection:
        assert stitch_store.apply_stitch(connection, plan, postgres=postgres) == 0  # the stale final is not written
    assert REF in queued(runtime)
    runtime.engine.stitch_deferred()
    assert queued(runtime) == set()
    entity = runtime.catalog.entity_by_name("component", "default", "artist-web")
    assert entity["metadata"]["description"] == "second"


def test_a_plan_writes_what_is_still_queued_as_it_read_it(runtime: Runtime) -> None:
    describe(runtime, "planned")
    with runtime.database.connect() as connection:
        taken = stitch_store.next_queued(connection, 100)
        plan = stitch_store.plan_stitch(connection, taken, queued=taken)
    with runtime.database.transaction() as connection:
        assert stitch_store.apply_stitch(connection, plan, postgres=not runtime.database.is_sqlite) == 1
    assert queued(runtime) == set()
    assert runtime.catalog.entity_by_name("component", "default", "artist-web")["metadata"]["description"] == "planned"


def test_the_walk_through_the_queue_goes_on_after_the_last_entity_taken(runtime: Runtime) -> None:
    refs = [f"component:default/queued-{number}" for number in range(5)]
    with runtime.database.transaction() as connection:
        stitch_store.enqueue_stitch(connection, refs)
    with runtime.database.connect() as connection:
        first = stitch_store.next_queued(connection, 3)
        last = list(first)[-1]
        rest = stitch_store.next_queued(connection, 3, (first[last], last))
    assert list(first) + list(rest) == sorted(refs)  # queued together: ordered by ref, none twice


def filter_rows(runtime: Runtime, ref: str) -> set[tuple[str, str | None, str | None, str | None]]:
    with runtime.database.connect() as connection:
        entity_id = connection.execute(
            select(refresh_state.c.entity_id).where(refresh_state.c.entity_ref == ref)
        ).scalar_one()
        return {
            (row.key, row.original_value, row.value, row.kind)
            for row in connection.execute(select(search).where(search.c.entity_id == entity_id))
        }


def test_a_re_stitch_writes_only_the_filter_rows_that_changed_and_leaves_what_a_first_stitch_would(
    runtime: Runtime,
) -> None:
    long_text = "x" * 300  # stored as a row whose value is NULL: removed by key
    describe(runtime, long_text)
    runtime.engine.stitch_deferred()
    assert ("metadata.description", None, None, "component") in filter_rows(runtime, REF)
    describe(runtime, "Plays Music")
    with runtime.database.connect() as connection:
        taken = stitch_store.next_queued(connection, 100)
        plan = stitch_store.plan_stitch(connection, taken, queued=taken)
    assert plan.fresh_ids == []
    assert plan.search_removed == [(plan.finals[0][0], "metadata.description", None)]
    assert [row[1:4] for row in plan.search_rows] == [("metadata.description", "Plays Music", "plays music")]
    with runtime.database.transaction() as connection:
        stitch_store.apply_stitch(connection, plan, postgres=not runtime.database.is_sqlite)
    describe(runtime, "Plays music")  # same lower-cased value, other original: replaced, not duplicated
    runtime.engine.stitch_deferred()
    rows = filter_rows(runtime, REF)
    with runtime.database.transaction() as connection:  # what a first stitch writes for the same entity
        connection.execute(delete(final_entities).where(final_entities.c.entity_ref == REF))
        stitch_store.stitch_entities(connection, [REF])
    assert rows == filter_rows(runtime, REF)
    assert ("metadata.description", "Plays music", "plays music", "component") in rows
    served = runtime.catalog.list_entities(parse_filters(["metadata.description=plays music"]))
    assert [entity["metadata"]["name"] for entity in served] == ["artist-web"]


def test_a_pass_for_new_entities_stitches_those_not_served_and_leaves_the_rest_queued(runtime: Runtime) -> None:
    """During a long ingestion new entities appear every few seconds; re-stitching served ones waits."""
    new = "component:default/artist-lookup"
    describe(runtime, "changed while served")
    with runtime.database.transaction() as connection:
        entity_id = connection.execute(
            select(refresh_state.c.entity_id).where(refresh_state.c.entity_ref == new)
        ).scalar_one()
        connection.execute(delete(final_entities).where(final_entities.c.entity_ref == new))
        connection.execute(delete(search).where(search.c.entity_id == entity_id))
        stitch_store.enqueue_stitch(connection, [new])
    with runtime.database.connect() as connection:
        assert list(stitch_store.next_queued(connection, 100, unseen_only=True)) == [new]
    runtime.engine.stitch_deferred(unseen_only=True)
    assert queued(runtime) == {REF}
    assert runtime.catalog.entity_by_name("component", "default", "artist-lookup")["spec"]["owner"] == "team-b"
    assert runtime.catalog.entity_by_name("component", "default", "artist-web")["metadata"].get("description") != (
        "changed while served"
    )
    runtime.engine.stitch_deferred()
    assert queued(runtime) == set()
    served = runtime.catalog.entity_by_name("component", "default", "artist-web")
    assert served["metadata"]["description"] == "changed while served"


def test_planner_statistics_follow_the_tables_as_an_ingestion_grows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL plans a table it has not analysed as small; the engine analyses as the catalog doubles."""
    from callboard.catalog import engine as engine_module

    monkeypatch.setattr(engine_module, "FIRST_ANALYZE_AT", 4)
    root = write_catalog(tmp_path / "repo")
    with database_for("postgresql", tmp_path) as database:
        settings = config(root, database, processing={"batchSize": 3})
        runtime = make_runtime(settings, tmp_path)
        try:
            with runtime.database.connect() as connection:
                never = "SELECT reltuples FROM pg_class WHERE relname = 'relations'"
                assert connection.exec_driver_sql(never).scalar_one() < 0  # never analysed
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            with runtime.database.connect() as connection:
                assert connection.exec_driver_sql(never).scalar_one() > 0
        finally:
            runtime.close()
