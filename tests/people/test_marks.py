"""Stars and visits, per person, on SQLite and PostgreSQL (the store every replica shares)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from callboard.people.api import KEEP_VISITS, Marks
from tests.support import migrated_database

ADA, GRACE = "user:default/ada", "user:default/grace"


@pytest.fixture(params=["sqlite", "postgresql"])
def marks(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Marks]:
    with migrated_database(request.param, tmp_path) as database:
        yield Marks(database)


def test_stars_are_per_person_newest_first_and_case_blind(marks: Marks) -> None:
    marks.star(ADA, "Component:default/Orders", True)
    marks.star(ADA, "api:default/orders-api", True)
    marks.star(GRACE, "component:default/billing", True)
    assert marks.starred(ADA) == ["api:default/orders-api", "component:default/orders"]
    assert marks.is_starred(ADA, "component:default/ORDERS") and not marks.is_starred(GRACE, "component:default/orders")
    marks.star(ADA, "api:default/orders-api", False)
    marks.star(ADA, "api:default/orders-api", False)  # unstarring twice is harmless
    assert marks.starred(ADA) == ["component:default/orders"]
    assert marks.starred(GRACE) == ["component:default/billing"]


def test_visits_keep_the_latest_and_forget_the_oldest_but_never_a_star(marks: Marks) -> None:
    marks.star(ADA, "component:default/c0", True)
    for index in range(KEEP_VISITS + 5):
        marks.visited(ADA, f"component:default/c{index}", at=1000.0 + index)
    marks.visited(ADA, "component:default/c3", at=5000.0)  # visited again: first
    recent = marks.recent(ADA, limit=KEEP_VISITS + 10)
    assert recent[0] == ("component:default/c3", 5000.0)
    assert len(recent) == KEEP_VISITS
    assert "component:default/c0" not in [ref for ref, _ in recent]  # its visit is forgotten ...
    assert marks.starred(ADA) == ["component:default/c0"]  # ... its star is not
    assert marks.recent(GRACE) == []
