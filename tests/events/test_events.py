"""Events reach subscribers in the publishing process at once and other replicas through the events table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from callboard.events.bus import EventBus
from callboard.storage.db import Database
from tests.support import migrated_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path) as migrated:
        yield migrated


def test_events_reach_this_process_at_once_and_other_replicas_on_their_next_read(database: Database) -> None:
    here, there = EventBus(database, "here"), EventBus(database, "there")
    heard_here: list[tuple[str, Mapping[str, Any]]] = []
    heard_there: list[tuple[str, Mapping[str, Any]]] = []
    here.subscribe("catalog.*", lambda topic, payload: heard_here.append((topic, payload)))
    there.subscribe("catalog.entity.changed", lambda topic, payload: heard_there.append((topic, payload)))
    here.publish("catalog.entity.changed", {"entityRef": "component:default/a"})
    here.publish("other.thing", {"x": 1})
    assert heard_here == [("catalog.entity.changed", {"entityRef": "component:default/a"})]
    assert heard_there == []
    assert there.poll() == 2  # both events read; only the subscribed topic is delivered
    assert heard_there == [("catalog.entity.changed", {"entityRef": "component:default/a"})]
    assert there.poll() == 0 and here.poll() == 0  # nobody hears an event twice, nor its own from the table


def test_a_failing_handler_does_not_stop_the_others_or_the_publisher(database: Database) -> None:
    bus = EventBus(database, "here")
    heard: list[str] = []

    def broken(topic: str, payload: Mapping[str, Any]) -> None:
        raise ValueError("handler bug")

    bus.subscribe("a.b", broken)
    bus.subscribe("a.b", lambda topic, payload: heard.append(topic))
    bus.publish("a.b", {})
    assert heard == ["a.b"]


def test_a_replica_started_later_reads_only_what_comes_after_it(database: Database) -> None:
    early = EventBus(database, "early")
    early.publish("a.b", {"n": 1})
    late = EventBus(database, "late")
    heard: list[Mapping[str, Any]] = []
    late.subscribe("a.b", lambda topic, payload: heard.append(payload))
    early.publish("a.b", {"n": 2})
    late.poll()
    assert heard == [{"n": 2}]
