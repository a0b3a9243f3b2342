"""Every place where ingestion can leave input out, walked one by one: each leaves a trace a person finds on
the Problems page (or the provider's own report), naming the file or entity and what to fix.

One catalog holds every case as its own target of one Location, so they are also checked not to disturb
each other: the good file among them is ingested whole.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.app import Runtime
from callboard.core.errors import InputError
from tests.catalog.fixtures import ALL_KINDS
from tests.catalog.test_hostile_files import GOOD, _alias_bomb
from tests.support import AUTH, Server, make_runtime, write

ENTITY = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\nspec: {spec}\n"
SPEC = "{type: service, lifecycle: production, owner: team-a}"


@dataclass(frozen=True)
class Case:
    """A way input goes missing: the target's file name, what it holds, and the words of its trace."""

    name: str
    content: bytes | None
    words: tuple[str, ...]
    target: str = ""


CASES = [
    Case("missing", None, ("missing.yaml", "does not exist")),
    Case("not-utf8", b"kind: Component\n\xff\xfe\n", ("not-utf8.yaml", "not UTF-8")),
    Case("too-big", GOOD.encode() + b"# pad\n" * 4000, ("too-big.yaml", "catalog.limits.fileBytes")),
    Case("syntax", b"kind: [unclosed\n", ("syntax.yaml", "YAML error")),
    Case("scalar-document", b"just a string\n", ("scalar-document.yaml", "Expected object at root")),
    Case("many-documents", ("---\n".join([GOOD] * 6)).encode(), ("many-documents.yaml", "documentsPerFile")),
    Case("alias-bomb", _alias_bomb().encode(), ("alias-bomb.yaml", "expandedNodes")),
    Case("deep", ("x: " + "[" * 500 + "]" * 500 + "\n").encode(), ("deep.yaml", "catalog.limits.depth")),
    Case(
        "not-an-entity",
        b"apiVersion: backstage.io/v1alpha1\nmetadata: {name: x}\n",
        ("not-an-entity.yaml", "not an entity"),
    ),
    Case("duplicate-key", b"kind: Component\nkind: API\n", ("duplicate-key.yaml", "appears twice")),
    Case(
        "schema",
        ENTITY.format(name="no-owner", spec="{type: service, lifecycle: production}").encode(),
        ("no-owner", "must have required property 'owner'"),
    ),
    Case(
        "relation",
        ENTITY.format(name="bad-dep", spec="{type: s, lifecycle: l, owner: a, dependsOn: ['::']}").encode(),
        ("bad-dep", "postprocessing"),
    ),
    Case(
        "placeholder",
        b"apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: no-spec}\n"
        b"spec: {type: openapi, lifecycle: l, owner: a, definition: {$text: ./nowhere.yaml}}\n",
        ("no-spec", "Placeholder"),
    ),
    Case(
        "nul",
        b'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: nul, description: "a\\0b"}\n'
        b"spec: {type: s, lifecycle: l, owner: a}\n",
        ("nul", "NUL character"),
    ),
    Case(
        "unknown-kind",
        b"apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: widget}\nspec: {}\n",
        ("widget", "No processor recognized"),
    ),
    Case("glob", None, ("nothing-here", "does not exist"), target="./nothing-here/*.yaml"),
    Case("folder", None, ("path separator",), target="./a-folder/"),
]


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, str]]:
    tmp = tmp_path_factory.mktemp("vanish")
    repo = tmp / "repo"
    write(repo / "good.yaml", GOOD)
    for case in CASES:
        if case.content is not None:
            (repo / f"{case.name}.yaml").write_bytes(case.content)
    targets = ["./good.yaml", *(case.target or f"./{case.name}.yaml" for case in CASES)]
    root = write(
        repo / "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: root}\nspec:\n  targets:\n"
        + "".join(f"    - {target}\n" for target in targets),
    )
    cfg: dict[str, Any] = {
        "backend": {"database": {"connection": str(tmp / "db.sqlite")}},
        "catalog": {
            "rules": [{"allow": [*ALL_KINDS, "Gadget"]}],
            "locations": [{"type": "file", "target": str(root)}],
            "limits": {"fileBytes": "20KB", "documentsPerFile": 5, "expandedNodes": 5000, "depth": 50},
        },
    }
    runtime = make_runtime(cfg, tmp)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        with Server(runtime.web) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
            page = http.get("/catalog-problems", headers={"accept": "text/html"})
            assert page.status_code == 200
            yield runtime, html.unescape(page.text)
    finally:
        runtime.close()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_way_input_goes_missing_leaves_a_trace(walked: tuple[Runtime, str], case: Case) -> None:
    _, page = walked
    for word in case.words:
        assert word in page, f"{case.name}: {word!r} is not on the Problems page"


def test_the_good_file_among_them_is_ingested_whole(walked: tuple[Runtime, str]) -> None:
    runtime, _ = walked
    names = {entity["metadata"]["name"] for entity in runtime.catalog.list_entities(())}
    assert {"good-one", "good-two"} <= names


def test_the_problems_page_counts_the_location_as_failing(walked: tuple[Runtime, str]) -> None:
    _, page = walked
    assert "0 entities fail processing" not in page
    assert "(notice)" not in page.split("location:default/root", 1)[-1].split("</tr>", 1)[0]


def test_a_conflict_is_a_trace_on_the_location_that_lost(tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "catalog-info.yaml", GOOD)
    second = write(tmp_path / "b" / "catalog-info.yaml", GOOD.replace("team-a", "team-b"))
    cfg: dict[str, Any] = {
        "backend": {"database": {"connection": str(tmp_path / "db.sqlite")}},
        "catalog": {
            "rules": [{"allow": ALL_KINDS}],
            "locations": [{"type": "file", "target": str(first)}, {"type": "file", "target": str(second)}],
        },
    }
    runtime = make_runtime(cfg, tmp_path)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        failing = runtime.catalog.views.problems()["failing"]
        messages = [error["message"] for item in failing for error in item["errors"]]
        assert any(
            "conflicting entityRef component:default/good-one" in m and "b/catalog-info.yaml" in m for m in messages
        )
    finally:
        runtime.close()


def test_an_entity_its_file_no_longer_holds_is_listed_as_an_orphan(tmp_path: Path) -> None:
    source = write(tmp_path / "repo" / "catalog-info.yaml", GOOD)
    cfg: dict[str, Any] = {
        "backend": {"database": {"connection": str(tmp_path / "db.sqlite")}},
        "catalog": {
            "rules": [{"allow": ALL_KINDS}],
            "orphanStrategy": "keep",
            "locations": [{"type": "file", "target": str(source)}],
        },
    }
    runtime = make_runtime(cfg, tmp_path)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        write(source, GOOD.split("---\n")[0])
        runtime.catalog.refresh("component:default/good-one")
        runtime.engine.run_until_idle(60)
        orphans = [entity["metadata"]["name"] for entity in runtime.catalog.views.problems()["orphans"]]
        assert orphans == ["good-two"]
    finally:
        runtime.close()


def test_a_provider_giving_what_is_not_an_entity_is_refused_with_each_named(tmp_path: Path) -> None:
    cfg: dict[str, Any] = {"backend": {"database": {"connection": str(tmp_path / "db.sqlite")}}}
    runtime = make_runtime(cfg, tmp_path)
    try:
        good = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "kept"}, "spec": {}}
        runtime.catalog.apply_provider("test-provider", [good])
        with pytest.raises(
            InputError,
            match=r"gave what are not entities \(entity 2: .*apiVersion.*entity 3: expected an object",
        ):
            runtime.catalog.apply_provider("test-provider", [good, {"kind": "Component", "metadata": "x"}, "junk"])
        with runtime.database.connect() as connection:
            from callboard.catalog import query_store

            assert query_store.processing_state(connection, "component:default/kept") is not None
    finally:
        runtime.close()
