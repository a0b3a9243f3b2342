"""Every field of every built-in kind, given every wrong shape: no exception escapes, and the verdict and first
error equal those of Backstage's own validators (run alongside as one long-lived oracle process).

Fields come from the kinds' JSON Schemas, so a field added to a schema is covered without editing this test.
The examples are derandomized in ``make test`` (the same set on every run); ``HYPOTHESIS_PROFILE=fuzz`` explores
further. A case that ever disagreed is kept below as an ``@example``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from callboard.catalog.kinds import KindRegistry, builtin_kinds, load_schema
from callboard.catalog.validation import DescriptorValidator
from tests.oracle.compare import OracleServer, normalise, oracle_available
from tests.support import fuzz_examples

pytestmark = pytest.mark.oracle

BASES: dict[str, dict[str, Any]] = {
    "Component": {
        "type": "service",
        "lifecycle": "production",
        "owner": "team-a",
        "system": "s",
        "providesApis": ["a"],
    },
    "API": {"type": "openapi", "lifecycle": "production", "owner": "team-a", "definition": "openapi: 3.0.0"},
    "Resource": {"type": "database", "owner": "team-a", "dependsOn": ["component:x"], "system": "s"},
    "System": {"owner": "team-a", "domain": "d", "type": "product"},
    "Domain": {"owner": "team-a", "subdomainOf": "other", "type": "area"},
    "Group": {"type": "team", "profile": {"displayName": "A", "email": "a@example.com"}, "parent": "p", "children": []},
    "User": {
        "profile": {"displayName": "Jane", "email": "jane@example.com", "picture": "https://x/p.png"},
        "memberOf": [],
    },
    "Location": {"type": "url", "target": "https://example.com/catalog-info.yaml", "presence": "optional"},
    "Template": {
        "type": "service",
        "owner": "team-a",
        "parameters": [{"title": "Name", "properties": {"name": {"type": "string"}}}],
        "steps": [{"id": "log", "action": "debug:log", "input": {"message": "hi"}}],
        "output": {"links": []},
    },
}
API_VERSIONS = {"Template": "scaffolder.backstage.io/v1beta3"}


def _entity(kind: str) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSIONS.get(kind, "backstage.io/v1alpha1"),
        "kind": kind,
        "metadata": {
            "name": "sample",
            "namespace": "default",
            "title": "Sample",
            "description": "A sample",
            "labels": {"tier": "one"},
            "annotations": {"example.com/a": "b"},
            "tags": ["java"],
            "links": [{"url": "https://example.com", "title": "Home", "icon": "web", "type": "docs"}],
        },
        "spec": copy.deepcopy(BASES[kind]),
    }


def _paths(schema: dict[str, Any], prefix: tuple[str | int, ...], depth: int) -> Iterator[tuple[str | int, ...]]:
    for name, sub in (schema.get("properties") or {}).items():
        path = (*prefix, name)
        yield path
        if depth > 0 and isinstance(sub, dict):
            yield from _paths(sub, path, depth - 1)
            items = sub.get("items")
            if isinstance(items, dict) and items.get("type") == "object":
                yield from _paths(items, (*path, 0), depth - 1)


def _field_paths() -> list[tuple[str, tuple[str | int, ...]]]:
    found: list[tuple[str, tuple[str | int, ...]]] = []
    meta = load_schema("EntityMeta")
    for kind in builtin_kinds():
        found += [
            (kind.kind, ("apiVersion",)),
            (kind.kind, ("kind",)),
            (kind.kind, ("metadata",)),
            (kind.kind, ("spec",)),
        ]
        found += [(kind.kind, path) for path in _paths(meta, ("metadata",), 2) if path[1] not in ("uid", "etag")]
        spec = kind.schema["allOf"][1]["properties"]["spec"]
        found += [(kind.kind, path) for path in _paths(spec, ("spec",), 2)]
    found += [(kind, ("relations",)) for kind in BASES] + [(kind, ("status",)) for kind in BASES]
    return sorted(set(found), key=str)


FIELDS = _field_paths()

_text = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
_scalar = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | _text
    | st.sampled_from(["", " ", "a" * 64, "team-a", "group:team-a", "user:default/jane", "a:b:c", "https://x", "-x"])
)
_shape = st.recursive(
    _scalar,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "url", "title", "type", "x", "$text", "0"]), children, max_size=3)
    ),
    max_leaves=8,
)
_DELETE = object()


def _apply(entity: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any] | None:
    target: Any = entity
    for part in path[:-1]:
        if isinstance(part, int):
            if not isinstance(target, list) or len(target) <= part:
                return None
        elif not isinstance(target, dict) or part not in target:
            return None
        target = target[part]
    last = path[-1]
    if isinstance(target, list):
        if not isinstance(last, int) or len(target) <= last:
            return None
    elif not isinstance(target, dict):
        return None
    if value is _DELETE:
        if isinstance(target, dict):
            target.pop(last, None)
        else:
            return None
    else:
        target[last] = value
    return entity


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OracleServer]:
    if not oracle_available():
        pytest.fail("the Backstage oracle is not installed: run 'npm ci --prefix tests/oracle' (make test does)")
    server = OracleServer(tmp_path_factory.mktemp("oracle"))
    yield server
    server.close()


VALIDATOR = DescriptorValidator(KindRegistry(builtin_kinds()))


def _compare(oracle: OracleServer, kind: str, path: tuple[str | int, ...], value: Any) -> None:
    entity = _apply(_entity(kind), path, value)
    assume(entity is not None)  # a path below a field the base entity lacks: not an example
    assert entity is not None
    event(f"{kind}: {'deleted' if value is _DELETE else type(value).__name__}")
    text = json.dumps(entity, ensure_ascii=False)
    (mine,) = list(VALIDATOR.validate_text(text, "shape.yaml", root=Path("/nonexistent")))
    (theirs,) = oracle.verdicts(text, "shape.yaml")
    where = f"{kind} {'.'.join(map(str, path))} = {value!r}"
    assert mine.valid == theirs["valid"], f"{where}: ours {mine.error}, Backstage {theirs['error']}"
    if not mine.valid:
        ours = normalise(mine.error.message if mine.error else None)
        assert ours == normalise(str(theirs["error"])), (
            f"{where}\n   ours:      {ours}\n   Backstage: {theirs['error']}"
        )


@settings(
    max_examples=fuzz_examples(1500),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(field=st.sampled_from(FIELDS), value=_shape | st.just(_DELETE))
@example(field=("Component", ("metadata",)), value="x")
@example(field=("Component", ("metadata",)), value=[1])
@example(field=("Component", ("metadata",)), value=None)
@example(field=("Group", ("metadata", "annotations")), value=[1])
@example(field=("User", ("metadata", "annotations", "example.com/a")), value=1)
@example(field=("API", ("metadata", "links", 0, "url")), value={})
@example(field=("Template", ("spec", "steps")), value="x")
def test_every_field_of_every_kind_in_every_shape(oracle: OracleServer, field: tuple[str, Any], value: Any) -> None:
    kind, path = field
    _compare(oracle, kind, path, value)


def test_the_fields_cover_every_kind_and_every_spec_field() -> None:
    kinds = {kind for kind, _ in FIELDS}
    assert kinds == set(BASES)
    assert ("Component", ("spec", "dependsOn")) in FIELDS and ("Group", ("spec", "profile", "email")) in FIELDS
    assert ("Template", ("spec", "steps")) in FIELDS and ("User", ("metadata", "links", 0, "url")) in FIELDS
