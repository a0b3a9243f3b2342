"""Descriptor files as careless and hostile authors write them: each problem is data on the Problems page,
stays there until the file changes, and never keeps the file's good neighbours out of the catalog."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.app import Runtime
from callboard.catalog import query_store
from tests.catalog.fixtures import ALL_KINDS
from tests.support import AUTH, Server, database_for, make_runtime, write

GOOD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: good-one}
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: good-two}
spec: {type: service, lifecycle: production, owner: team-a}
"""


def _location(targets: list[str], name: str = "root") -> str:
    listed = "".join(f"\n    - {target}" for target in targets)
    return f"apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {{name: {name}}}\nspec:\n  targets:{listed}\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    with database_for(str(request.param), tmp_path) as settings:
        yield settings


def _runtime(tmp_path: Path, database: dict[str, Any], root: Path, **catalog: Any) -> Runtime:
    cfg: dict[str, Any] = {
        "backend": {"database": database},
        "catalog": {"rules": [{"allow": ALL_KINDS}], "locations": [{"type": "file", "target": str(root)}], **catalog},
    }
    if catalog.get("rules") == "backstage-default":
        del cfg["catalog"]["rules"]
    runtime = make_runtime(cfg, tmp_path)
    runtime.catalog.sync_locations()
    runtime.engine.run_until_idle(60)
    return runtime


def _cycle(runtime: Runtime, times: int = 2) -> None:
    """Process every location again, as the schedule would, with their files unchanged."""
    for _ in range(times):
        runtime.catalog.refresh("location:default/root")
        runtime.engine.run_until_idle(60)


def _names(runtime: Runtime) -> set[str]:
    return {entity["metadata"]["name"] for entity in runtime.catalog.list_entities(())}


def _problems_text(runtime: Runtime) -> str:
    """The Problems page as a person sees it (served over HTTP), and the API's view of the Location."""
    with Server(runtime.web) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        page = http.get("/catalog-problems", headers={"accept": "text/html"})
        assert page.status_code == 200, page.text
        return page.text


def _location_errors(runtime: Runtime) -> list[str]:
    with runtime.database.connect() as connection:
        state = query_store.processing_state(connection, "location:default/root")
    assert state is not None
    return [error["message"] for error in state["errors"]]


# -- wrong shapes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("metadata", ['"x"', "[1]", "7", "null", "{namespace: [x], name: a}"])
def test_a_document_of_the_wrong_shape_is_an_error_on_its_location(
    tmp_path: Path, database: dict[str, Any], metadata: str
) -> None:
    bad = f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {metadata}\nspec: {{type: service}}\n"
    write(tmp_path / "repo" / "mixed.yaml", GOOD + "---\n" + bad)
    root = write(tmp_path / "repo" / "catalog-info.yaml", _location(["./mixed.yaml"]))
    runtime = _runtime(tmp_path, database, root)
    try:
        assert {"good-one", "good-two"} <= _names(runtime)
        assert "none" not in _names(runtime) and "a" not in _names(runtime)
        errors = _location_errors(runtime)
        assert any("mixed.yaml" in message and "document 3" in message for message in errors), errors
        assert "mixed.yaml" in _problems_text(runtime)
        _cycle(runtime)
        assert any("mixed.yaml" in message for message in _location_errors(runtime))
    finally:
        runtime.close()


def test_an_entity_with_annotations_of_the_wrong_shape_fails_on_its_own(
    tmp_path: Path, database: dict[str, Any]
) -> None:
    bad = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: odd, annotations: [1]}\nspec: {}\n"
    write(tmp_path / "repo" / "mixed.yaml", GOOD + "---\n" + bad)
    root = write(tmp_path / "repo" / "catalog-info.yaml", _location(["./mixed.yaml"]))
    runtime = _runtime(tmp_path, database, root)
    try:
        assert {"good-one", "good-two"} <= _names(runtime) and "odd" not in _names(runtime)
        page = _problems_text(runtime)
        assert "component:default/odd" in page and "annotations" in page and "mixed.yaml" in page
    finally:
        runtime.close()


# -- errors stay until the input changes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"kind: Component\n\xff\xfe not utf-8\n", "not UTF-8"), (b"kind: Component\nmetadata:\n\tname: x\n", "YAML")],
)
def test_errors_of_a_bad_target_stay_until_the_file_changes(
    tmp_path: Path, database: dict[str, Any], content: bytes, words: str
) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "bad.yaml").write_bytes(content)
    write(tmp_path / "repo" / "good.yaml", GOOD)
    root = write(tmp_path / "repo" / "catalog-info.yaml", _location(["./good.yaml", "./bad.yaml"]))
    runtime = _runtime(tmp_path, database, root)
    try:
        _cycle(runtime, 3)
        errors = _location_errors(runtime)
        assert any(words in message and "bad.yaml" in message for message in errors), errors
        assert "bad.yaml" in _problems_text(runtime)
        write(tmp_path / "repo" / "bad.yaml", GOOD.replace("good-", "fixed-"))
        _cycle(runtime, 1)
        assert _location_errors(runtime) == []
        assert {"fixed-one", "fixed-two", "good-one"} <= _names(runtime)
    finally:
        runtime.close()


def test_a_bad_target_never_keeps_its_siblings_out(tmp_path: Path, database: dict[str, Any]) -> None:
    many = "---\n".join(
        f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: svc-{i}}}\n"
        f"spec: {{type: service, lifecycle: production, owner: team-a}}\n"
        for i in range(300)
    )
    write(tmp_path / "repo" / "many.yaml", many)
    write(tmp_path / "repo" / "broken.yaml", "kind: [unclosed\n")
    root = write(tmp_path / "repo" / "catalog-info.yaml", _location(["./many.yaml", "./broken.yaml", "./missing.yaml"]))
    runtime = _runtime(tmp_path, database, root)
    try:
        assert {f"svc-{i}" for i in range(300)} <= _names(runtime)
        errors = _location_errors(runtime)
        assert any("broken.yaml" in message for message in errors)
        assert any("missing.yaml" in message and "does not exist" in message for message in errors)
        page = _problems_text(runtime)
        assert "broken.yaml" in page and "missing.yaml" in page
    finally:
        runtime.close()


def test_a_target_that_breaks_keeps_its_last_good_entities(tmp_path: Path, database: dict[str, Any]) -> None:
    write(tmp_path / "repo" / "one.yaml", GOOD)
    write(tmp_path / "repo" / "two.yaml", GOOD.replace("good-", "other-"))
    root = write(tmp_path / "repo" / "catalog-info.yaml", _location(["./one.yaml", "./two.yaml"]))
    runtime = _runtime(tmp_path, database, root)
    try:
        assert {"good-one", "good-two", "other-one", "other-two"} <= _names(runtime)
        # One document of one.yaml breaks (a key twice); two.yaml changes; the rest of one.yaml is unchanged.
        write(
            tmp_path / "repo" / "one.yaml", GOOD.replace("metadata: {name: good-two}", "metadata: {name: a, name: b}")
        )
        write(tmp_path / "repo" / "two.yaml", GOOD.replace("good-one", "other-three").replace("good-", "other-"))
        _cycle(runtime, 2)
        names = _names(runtime)
        assert {"good-one", "good-two", "other-three", "other-two"} <= names
        assert "other-one" not in names
        assert any("one.yaml" in message and "twice" in message for message in _location_errors(runtime))
    finally:
        runtime.close()


# -- rules and globs -----------------------------------------------------------------------------------------------


def test_disallowed_kinds_are_reported_per_entity_and_allowed_ones_ingested(
    tmp_path: Path, database: dict[str, Any]
) -> None:
    org = (
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\nspec: {type: team, children: []}\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: jane}\nspec: {memberOf: [team-a]}\n"
    )
    write(tmp_path / "repo" / "org.yaml", org)
    write(tmp_path / "repo" / "good.yaml", GOOD)
    root = write(tmp_path / "repo" / "catalog-info.yaml", _location(["./org.yaml", "./good.yaml"]))
    runtime = _runtime(tmp_path, database, root, rules="backstage-default")
    try:
        _cycle(runtime, 2)
        names = _names(runtime)
        assert {"good-one", "good-two"} <= names and "jane" not in names and "team-a" not in names
        errors = _location_errors(runtime)
        for ref in ("group:default/team-a", "user:default/jane"):
            assert any(
                f"NotAllowedError: Entity {ref} at file:" in f"NotAllowedError: {message}"
                or (ref in message and "is not of an allowed kind for that location" in message)
                for message in errors
            ), errors
        assert "is not of an allowed kind" in _problems_text(runtime)
    finally:
        runtime.close()


def test_file_targets_with_globs_read_every_match(tmp_path: Path, database: dict[str, Any]) -> None:
    write(tmp_path / "repo" / "services" / "a.yaml", GOOD)
    write(tmp_path / "repo" / "services" / "b.yaml", GOOD.replace("good-", "bee-"))
    write(tmp_path / "repo" / "services" / "notes.txt", "not a descriptor")
    write(tmp_path / "repo" / "deep" / "x" / "c.yaml", GOOD.replace("good-", "sea-"))
    root = write(
        tmp_path / "repo" / "catalog-info.yaml",
        _location(["./services/*.yaml", "./deep/**/*.yaml", "./nothing/*.yaml"]),
    )
    runtime = _runtime(tmp_path, database, root)
    try:
        names = _names(runtime)
        assert {"good-one", "good-two", "bee-one", "bee-two", "sea-one", "sea-two"} <= names
        bee = runtime.catalog.entity_by_name("component", "default", "bee-one")
        location = bee["metadata"]["annotations"]["backstage.io/managed-by-location"]
        assert location == f"file:{tmp_path / 'repo' / 'services' / 'b.yaml'}"
        assert any("nothing/*.yaml" in message and "does not exist" in message for message in _location_errors(runtime))
    finally:
        runtime.close()


# -- sizes -----------------------------------------------------------------------------------------------------------


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["apiVersion: backstage.io/v1alpha1", "kind: Component", "metadata:", "  name: bomb", "  annotations:"]
    lines.append('    a0: &a0 ["lol"]')
    for level in range(1, levels + 1):
        lines.append(f"    a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    lines.append("spec: {type: service, lifecycle: production, owner: team-a}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_it_is_built(tmp_path: Path, database: dict[str, Any]) -> None:
    write(tmp_path / "repo" / "bomb.yaml", _alias_bomb())
    write(tmp_path / "repo" / "good.yaml", GOOD)
    root = write(tmp_path / "repo" / "catalog-info.yaml", _location(["./bomb.yaml", "./good.yaml"]))
    tracemalloc.start()
    try:
        runtime = _runtime(tmp_path, database, root)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    try:
        assert peak < 200 * 1024 * 1024, f"{peak / 1e6:.0f} MB traced while reading an alias bomb"
        assert {"good-one", "good-two"} <= _names(runtime)
        errors = _location_errors(runtime)
        assert any("bomb.yaml" in message and "catalog.limits.expandedNodes" in message for message in errors), errors
        _cycle(runtime)
        assert any("bomb.yaml" in message for message in _location_errors(runtime))
    finally:
        runtime.close()


def test_files_over_the_size_and_document_limits_are_refused_with_the_setting_named(
    tmp_path: Path, database: dict[str, Any]
) -> None:
    write(tmp_path / "repo" / "large.yaml", GOOD + "# padding\n" * 2000)
    write(tmp_path / "repo" / "many.yaml", "---\n".join([GOOD.replace("good-", f"d{i}-") for i in range(3)]))
    write(tmp_path / "repo" / "good.yaml", GOOD.replace("good-", "ok-"))
    root = write(tmp_path / "repo" / "catalog-info.yaml", _location(["./large.yaml", "./many.yaml", "./good.yaml"]))
    runtime = _runtime(tmp_path, database, root, limits={"fileBytes": "10KB", "documentsPerFile": 4})
    try:
        assert {"ok-one", "ok-two"} <= _names(runtime)
        errors = _location_errors(runtime)
        assert any("large.yaml" in message and "catalog.limits.fileBytes" in message for message in errors), errors
        assert any("many.yaml" in message and "catalog.limits.documentsPerFile" in message for message in errors), (
            errors
        )
    finally:
        runtime.close()


def test_deep_nesting_is_refused_not_a_crash(tmp_path: Path, database: dict[str, Any]) -> None:
    deep = "[" * 5000 + "]" * 5000
    doc = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: deep}\n"
        f"spec: {{type: service, lifecycle: production, owner: team-a, x: {deep}}}\n"
    )
    write(tmp_path / "repo" / "deep.yaml", doc)
    write(tmp_path / "repo" / "good.yaml", GOOD)
    root = write(tmp_path / "repo" / "catalog-info.yaml", _location(["./deep.yaml", "./good.yaml"]))
    runtime = _runtime(tmp_path, database, root)
    try:
        assert {"good-one", "good-two"} <= _names(runtime)
        assert any(
            "deep.yaml" in message and "catalog.limits.depth" in message for message in _location_errors(runtime)
        )
    finally:
        runtime.close()
