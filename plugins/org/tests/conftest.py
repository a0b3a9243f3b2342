from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import callboard_org
from callboard_org.testing import Person, Slapd, Team, provider_config

pytest_plugins = ["callboard.sdk.testing"]

#: More people than the directory returns to a search that does not page (SIZE_LIMIT): paging is needed.
PEOPLE = [Person(f"person{n:03}", f"Person {n:03}", f"person{n:03}@northwind.example") for n in range(240)]
NAMED = [
    Person("jdoe", "Jane Doe", "jane.doe@northwind.example"),
    Person("rroe", "Richard Roe", "richard.roe@northwind.example"),
]
TEAMS = [
    Team("payments", "Takes the money", ["jdoe", *[p.uid for p in PEOPLE[:120]]]),
    Team("shipping", "Moves the boxes", ["rroe", *[p.uid for p in PEOPLE[120:]]]),
    # A department whose members are its teams (nested groups) and one person directly.
    Team("engineering", "All of engineering", ["payments", "shipping", "jdoe"]),
]


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    from callboard.sdk.testing import free_port

    server = Slapd(tmp_path_factory.mktemp("slapd"), free_port())
    try:
        server.seed([*NAMED, *PEOPLE], TEAMS)
        yield server
    finally:
        server.stop()


@pytest.fixture
def callboard_plugins() -> Mapping[str, ModuleType]:
    return {"org": callboard_org}


@pytest.fixture
def ldap_settings(slapd: Slapd, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The test directory's provider config; a test changes keys with ``parametrize(..., indirect=True)``."""
    settings = dict(provider_config(slapd.url, schedule={"frequency": "PT1H", "timeout": {"minutes": 5}}))
    return {**settings, **getattr(request, "param", {})}


@pytest.fixture
def callboard_config(ldap_settings: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {"catalog": {"providers": {"ldapOrg": {"corp": ldap_settings}}}}
