"""The schema checker reports what ajv reports, in ajv's order; the oracle test checks it on real schemas."""

from __future__ import annotations

from callboard.catalog.javascript import js_keys, js_regex
from callboard.catalog.schema_check import CompiledSchema, SchemaRegistry


def _first(schema: dict[str, object], value: object) -> str:
    compiled = CompiledSchema(schema)
    assert not compiled.is_valid(value)
    return compiled.errors(value)[0].text()


def test_required_properties_in_schema_order_with_params() -> None:
    schema = {"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "string"}}}
    assert _first(schema, {}) == "<root> must have required property 'a' - missingProperty: a"
    assert [e.keyword for e in CompiledSchema(schema).errors({})] == ["required", "required"]


def test_untyped_keywords_run_before_the_type_group() -> None:
    # enum is an untyped keyword; the string group (with minLength) reports the type error after it.
    schema = {"type": "string", "minLength": 1, "enum": ["x"]}
    errors = CompiledSchema(schema).errors(5)
    assert [e.keyword for e in errors] == ["enum", "type"]
    # Without keywords of its own type, the type is checked up front.
    assert [e.keyword for e in CompiledSchema({"type": "string", "enum": ["x"]}).errors(5)] == ["type", "enum"]


def test_additional_properties_follow_javascript_key_order() -> None:
    schema = {"type": "object", "additionalProperties": False, "properties": {"a": {}}}
    errors = CompiledSchema(schema).errors({"b": 1, "2": 1, "a": 1, "1": 1})
    assert [dict(e.params)["additionalProperty"] for e in errors] == ["1", "2", "b"]
    assert js_keys({"b": 1, "10": 1, "01": 1, "2": 1}) == ["2", "10", "b", "01"]


def test_one_of_reports_branch_errors_then_its_own() -> None:
    schema = {"oneOf": [{"type": "object"}, {"type": "array"}]}
    errors = CompiledSchema(schema).errors("x")
    assert [e.text() for e in errors] == [
        "<root> must be object - type: object",
        "<root> must be array - type: array",
        "<root> must match exactly one schema in oneOf - passingSchemas: null",
    ]
    assert CompiledSchema(schema).errors({}) == []


def test_type_lists_and_paths_are_json_pointers() -> None:
    schema = {"type": "object", "properties": {"a/b": {"type": ["string", "boolean"]}}}
    assert _first(schema, {"a/b": 1}) == "/a~1b must be string,boolean - type: string,boolean"


def test_refs_resolve_through_the_registry_including_fragments() -> None:
    common = {"$id": "common", "definitions": {"thing": {"$id": "#thing", "type": "string"}}}
    schema = {"$id": "root", "type": "array", "items": {"$ref": "common#thing"}}
    compiled = CompiledSchema(schema, SchemaRegistry([common]))
    assert compiled.is_valid(["a"])
    assert compiled.errors(["a", 1])[0].text() == "/1 must be string - type: string"


def test_unsupported_keywords_are_delegated_to_jsonschema() -> None:
    compiled = CompiledSchema({"type": "object", "properties": {"n": {"type": "integer", "minimum": 3}}})
    assert compiled.is_valid({"n": 4})
    assert not compiled.is_valid({"n": 2})
    error = compiled.errors({"n": 2})[0]
    assert error.path == ("n",)
    assert error.keyword == "minimum"


def test_javascript_regex_semantics() -> None:
    assert js_regex("^.+$").search("line") is not None
    assert js_regex("^.+$").search("line\n") is None  # JS $ does not match before a final newline
    assert js_regex("^.+$").search("a\u2028b") is None  # JS . excludes line separators
