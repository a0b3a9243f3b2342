"""Fuzzing Backstage's filter syntax end to end: parameters as callers write them, parsed within the limits,
then run as SQL on a real catalog. Only InputError (a 400 naming the problem) may come out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from callboard.app import Runtime
from callboard.core.errors import InputError
from callboard.core.limits import RequestLimits
from callboard.web.api.params import filter_params
from tests.catalog.fixtures import config, write_catalog
from tests.support import fuzz_examples, make_runtime

PIECES = [
    "kind",
    "=",
    "component",
    ",",
    "metadata.name",
    "spec.type",
    "relations.ownedby",
    "group:default/team-a",
    "metadata.annotations.backstage.io/x",
    " ",
    "",
    "%",
    "_",
    "'",
    '"',
    "\\",
    "*",
    "(",
    ")",
    ";",
    "--",
    "\u00e9",
    "KIND",
    "=service",
    "==",
    ",,",
    "spec.lifecycle=production",
    "a" * 50,
    "\x00",
]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    tmp: Path = tmp_path_factory.mktemp("filters")
    runtime = make_runtime(config(write_catalog(tmp / "repo"), {"connection": str(tmp / "db.sqlite")}), tmp)
    runtime.catalog.sync_locations()
    runtime.engine.run_until_idle(60)
    yield runtime
    runtime.close()


filters = st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), max_size=6)


@settings(max_examples=fuzz_examples(400), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=filters)
@example(raw=["kind=component,kind=api", "metadata.name"])
@example(raw=["=x"])
@example(raw=["kind=" + "%" * 40])
def test_any_filter_is_a_result_or_a_clear_error(runtime: Runtime, raw: list[str]) -> None:
    try:
        parsed = filter_params(raw, RequestLimits(max_filters=10, max_filter_length=200))
    except InputError as error:
        assert "filter" in error.message.lower()
        return
    entities = runtime.catalog.list_entities(parsed, limit=5)
    assert len(entities) <= 5
    page = runtime.catalog.query_entities(parsed, limit=3)
    assert page.total is not None and page.total >= len(page.items)
    runtime.catalog.facets(["kind", "spec.type"], parsed)
