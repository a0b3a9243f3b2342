"""JSON Schema validation that reports errors in the order and words of ajv, the validator Backstage uses.

Backstage's verdict on an entity is the *first* error ajv reports, so the order of checks is part of the
behaviour we copy: keywords run in ajv's groups (untyped, string, array, object) and, within a group, in
ajv's vocabulary order. Each compiled schema has two paths: ``is_valid`` (a fast boolean check used for the
common case of valid input) and ``errors`` (every error, in ajv's ``allErrors`` order). Keywords outside the
subset Backstage's schemas use are delegated to the ``jsonschema`` library for that sub-schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from callboard.catalog.descriptors import FieldPath
from callboard.catalog.javascript import js_keys, js_regex, json_equal
from callboard.catalog.schema_codegen import FastCodegen
from callboard.catalog.schema_keywords import (
    SchemaError,
    always,
    collect_nothing,
    declared_types,
    delegate,
    false_schema,
    group_of,
    limit,
    never,
    pattern_safe,
    type_error,
    type_test,
)

Check = Callable[[Any], bool]
Collect = Callable[[Any, FieldPath, list["SchemaError"]], None]

_ANNOTATIONS = frozenset(
    {
        "$id",
        "$schema",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "definitions",
        "readOnly",
        "writeOnly",
        "format",
    }
)
_SUPPORTED = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "const",
        "required",
        "properties",
        "additionalProperties",
        "patternProperties",
        "items",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "pattern",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
    }
)


class SchemaRegistry:
    """Schemas by ``$id`` (with draft-07 plain-name fragments such as ``common#relation``) for ``$ref``."""

    def __init__(self, schemas: Iterable[Mapping[str, Any]] = ()) -> None:
        self._by_id: dict[str, Mapping[str, Any]] = {}
        for schema in schemas:
            self.add(schema)

    def add(self, schema: Mapping[str, Any]) -> None:
        base = str(schema.get("$id", ""))
        self._by_id[base] = schema
        for definition in (schema.get("definitions") or {}).values():
            fragment = definition.get("$id") if isinstance(definition, Mapping) else None
            if isinstance(fragment, str) and fragment.startswith("#"):
                self._by_id[base + fragment] = definition

    def resolve(self, ref: str, base: str) -> tuple[Mapping[str, Any], str]:
        key = base + ref if ref.startswith("#") else ref
        schema = self._by_id.get(key)
        if schema is None:
            raise KeyError(f"Schema reference {ref!r} (from {base or 'the root schema'}) is not registered")
        return schema, key.split("#", 1)[0]


class CompiledSchema:
    """A schema compiled once into closures; reuse it for every entity."""

    def __init__(self, schema: Mapping[str, Any], registry: SchemaRegistry | None = None) -> None:
        self._registry = registry or SchemaRegistry()
        self._memo: dict[tuple[int, str], tuple[Check, Collect]] = {}
        base = str(schema.get("$id", ""))
        self._check, self._collect = self._compile(schema, base)
        self._fast = FastCodegen(
            self._registry.resolve,
            lambda sub: set(sub) - _ANNOTATIONS <= _SUPPORTED and pattern_safe(sub),
            lambda sub, sub_base: self._compile(sub, sub_base)[0],
            js_regex,
            json_equal,
        ).compile(schema, base)

    def is_valid(self, value: Any) -> bool:
        return self._fast(value)

    def errors(self, value: Any) -> list[SchemaError]:
        out: list[SchemaError] = []
        self._collect(value, (), out)
        return out

    # -- compilation -------------------------------------------------------------------------------------

    def _compile(self, schema: Any, base: str) -> tuple[Check, Collect]:
        if schema is True or schema == {}:
            return always, collect_nothing
        if schema is False:
            return never, false_schema
        memo_key = (id(schema), base)
        if memo_key in self._memo:
            return self._memo[memo_key]
        # Recursive $refs reach this key again while it compiles: late-bind through a cell.
        cell: list[tuple[Check, Collect]] = []

        def late_check(value: Any) -> bool:
            return cell[0][0](value)

        def late_collect(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
            cell[0][1](value, path, out)

        self._memo[memo_key] = (late_check, late_collect)
        if isinstance(schema.get("$id"), str) and not schema["$id"].startswith("#"):
            base = schema["$id"]
        keywords = set(schema) - _ANNOTATIONS
        compiled = (
            self._compile_keywords(schema, base)
            if keywords <= _SUPPORTED and pattern_safe(schema)
            else delegate(schema)
        )
        cell.append(compiled)
        self._memo[memo_key] = compiled
        return compiled

    def _compile_keywords(self, schema: Mapping[str, Any], base: str) -> tuple[Check, Collect]:
        types = declared_types(schema.get("type"))
        checks: list[Check] = []
        untyped: list[Collect] = []
        groups: dict[str, list[Collect]] = {"string": [], "array": [], "object": []}
        group_checks: dict[str, list[Check]] = {"string": [], "array": [], "object": []}

        if "$ref" in schema:
            target, target_base = self._registry.resolve(schema["$ref"], base)
            ref_check, ref_collect = self._compile(target, target_base)
            checks.append(ref_check)
            untyped.append(ref_collect)
            if len(set(schema) - _ANNOTATIONS) == 1:
                return ref_check, ref_collect
        if "const" in schema:
            self._add_const(schema["const"], checks, untyped)
        if "enum" in schema:
            self._add_enum(schema["enum"], checks, untyped)
        if "not" in schema:
            self._add_not(schema["not"], base, checks, untyped)
        for keyword in ("anyOf", "oneOf", "allOf"):
            if keyword in schema:
                self._add_combinator(keyword, schema[keyword], base, checks, untyped)
        self._add_string_keywords(schema, group_checks["string"], groups["string"])
        self._add_array_keywords(schema, base, group_checks["array"], groups["array"])
        self._add_object_keywords(schema, base, group_checks["object"], groups["object"])

        # ajv checks the type up front unless the schema's single type has keywords of its own, in which
        # case the type error is reported where that type's group of keywords would run.
        type_in_group = len(types) == 1 and types[0] in groups and bool(groups[types[0]])
        type_check = type_test(types) if types else None

        def check(value: Any) -> bool:
            if type_check is not None and not type_check(value):
                return False
            for item in checks:
                if not item(value):
                    return False
            kind = group_of(value)
            if kind is not None:
                for item in group_checks[kind]:
                    if not item(value):
                        return False
            return True

        def collect(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
            if type_check is not None and not type_in_group and not type_check(value):
                out.append(type_error(path, types))
            for item in untyped:
                item(value, path, out)
            kind = group_of(value)
            for group in ("string", "array", "object"):
                if not groups[group]:
                    continue
                if kind == group:
                    for item in groups[group]:
                        item(value, path, out)
                elif type_in_group and types[0] == group:
                    out.append(type_error(path, types))

        return check, collect

    def _add_const(self, expected: Any, checks: list[Check], untyped: list[Collect]) -> None:
        def check(value: Any) -> bool:
            return json_equal(value, expected)

        def collect(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
            if not check(value):
                out.append(SchemaError(path, "const", "must be equal to constant", (("allowedValue", expected),)))

        checks.append(check)
        untyped.append(collect)

    def _add_enum(self, allowed: list[Any], checks: list[Check], untyped: list[Collect]) -> None:
        simple = all(isinstance(item, str) for item in allowed)
        allowed_set = frozenset(allowed) if simple else None

        def check(value: Any) -> bool:
            if allowed_set is not None:
                return isinstance(value, str) and value in allowed_set
            return any(json_equal(value, item) for item in allowed)

        def collect(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
            if not check(value):
                message = "must be equal to one of the allowed values"
                out.append(SchemaError(path, "enum", message, (("allowedValues", allowed),)))

        checks.append(check)
        untyped.append(collect)

    def _add_not(self, sub: Any, base: str, checks: list[Check], untyped: list[Collect]) -> None:
        sub_check, _ = self._compile(sub, base)

        def check(value: Any) -> bool:
            return not sub_check(value)

        def collect(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
            if sub_check(value):
                out.append(SchemaError(path, "not", "must NOT be valid", ()))

        checks.append(check)
        untyped.append(collect)

    def _add_combinator(
        self, keyword: str, branches: list[Any], base: str, checks: list[Check], untyped: list[Collect]
    ) -> None:
        compiled = [self._compile(branch, base) for branch in branches]
        branch_checks = [item[0] for item in compiled]
        if keyword == "allOf":

            def all_check(value: Any) -> bool:
                return all(item(value) for item in branch_checks)

            def all_collect(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
                for _, item_collect in compiled:
                    item_collect(value, path, out)

            checks.append(all_check)
            untyped.append(all_collect)
            return

        def passing(value: Any) -> list[int]:
            return [index for index, item in enumerate(branch_checks) if item(value)]

        def combo_check(value: Any) -> bool:
            count = len(passing(value))
            return count >= 1 if keyword == "anyOf" else count == 1

        def combo_collect(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
            passed = passing(value)
            if (keyword == "anyOf" and passed) or (keyword == "oneOf" and len(passed) == 1):
                return
            for _, item_collect in compiled:
                item_collect(value, path, out)
            if keyword == "anyOf":
                out.append(SchemaError(path, "anyOf", "must match a schema in anyOf", ()))
            else:
                params = (("passingSchemas", passed or None),)
                out.append(SchemaError(path, "oneOf", "must match exactly one schema in oneOf", params))

        checks.append(combo_check)
        untyped.append(combo_collect)

    def _add_string_keywords(self, schema: Mapping[str, Any], checks: list[Check], collects: list[Collect]) -> None:
        if "maxLength" in schema:
            limit(checks, collects, "maxLength", schema["maxLength"], len, "characters", maximum=True)
        if "minLength" in schema:
            limit(checks, collects, "minLength", schema["minLength"], len, "characters", maximum=False)
        if "pattern" in schema:
            pattern = schema["pattern"]
            regex = js_regex(pattern)

            def check(value: Any) -> bool:
                return regex.search(value) is not None

            def collect(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
                if not check(value):
                    out.append(SchemaError(path, "pattern", f'must match pattern "{pattern}"', (("pattern", pattern),)))

            checks.append(check)
            collects.append(collect)

    def _add_array_keywords(
        self, schema: Mapping[str, Any], base: str, checks: list[Check], collects: list[Collect]
    ) -> None:
        if "maxItems" in schema:
            limit(checks, collects, "maxItems", schema["maxItems"], len, "items", maximum=True)
        if "minItems" in schema:
            limit(checks, collects, "minItems", schema["minItems"], len, "items", maximum=False)
        items = schema.get("items")
        if isinstance(items, (Mapping, bool)):
            item_check, item_collect = self._compile(items, base)

            def check(value: list[Any]) -> bool:
                return all(item_check(item) for item in value)

            def collect(value: list[Any], path: FieldPath, out: list[SchemaError]) -> None:
                for index, item in enumerate(value):
                    item_collect(item, (*path, index), out)

            checks.append(check)
            collects.append(collect)

    def _add_object_keywords(
        self, schema: Mapping[str, Any], base: str, checks: list[Check], collects: list[Collect]
    ) -> None:
        required: list[str] = list(schema.get("required") or [])
        properties = {name: self._compile(sub, base) for name, sub in (schema.get("properties") or {}).items()}
        patterns = [
            (js_regex(pattern), *self._compile(sub, base))
            for pattern, sub in (schema.get("patternProperties") or {}).items()
        ]
        additional = schema.get("additionalProperties", True)
        additional_compiled = (
            self._compile(additional, base) if isinstance(additional, Mapping) and additional else None
        )
        forbid_additional = additional is False

        if required:

            def required_check(value: dict[str, Any]) -> bool:
                return all(name in value for name in required)

            def required_collect(value: dict[str, Any], path: FieldPath, out: list[SchemaError]) -> None:
                for name in required:
                    if name not in value:
                        message = f"must have required property '{name}'"
                        out.append(SchemaError(path, "required", message, (("missingProperty", name),)))

            checks.append(required_check)
            collects.append(required_collect)

        if forbid_additional or additional_compiled is not None:

            def is_additional(key: str) -> bool:
                return key not in properties and not any(regex.search(key) for regex, _, _ in patterns)

            def additional_check(value: dict[str, Any]) -> bool:
                for key, item in value.items():
                    if is_additional(key):
                        if forbid_additional or additional_compiled is None:
                            return False
                        if not additional_compiled[0](item):
                            return False
                return True

            def additional_collect(value: dict[str, Any], path: FieldPath, out: list[SchemaError]) -> None:
                for key in js_keys(value):
                    if not is_additional(key):
                        continue
                    if forbid_additional or additional_compiled is None:
                        message = "must NOT have additional properties"
                        out.append(SchemaError(path, "additionalProperties", message, (("additionalProperty", key),)))
                    else:
                        additional_compiled[1](value[key], (*path, key), out)

            checks.append(additional_check)
            collects.append(additional_collect)

        if properties:
            property_items = list(properties.items())

            def properties_check(value: dict[str, Any]) -> bool:
                for name, (sub_check, _) in property_items:
                    if name in value and not sub_check(value[name]):
                        return False
                return True

            def properties_collect(value: dict[str, Any], path: FieldPath, out: list[SchemaError]) -> None:
                for name, (_, sub_collect) in property_items:
                    if name in value:
                        sub_collect(value[name], (*path, name), out)

            checks.append(properties_check)
            collects.append(properties_collect)

        if patterns:

            def patterns_check(value: dict[str, Any]) -> bool:
                for regex, sub_check, _ in patterns:
                    for key, item in value.items():
                        if regex.search(key) and not sub_check(item):
                            return False
                return True

            def patterns_collect(value: dict[str, Any], path: FieldPath, out: list[SchemaError]) -> None:
                for regex, _, sub_collect in patterns:
                    for key in js_keys(value):
                        if regex.search(key):
                            sub_collect(value[key], (*path, key), out)

            checks.append(patterns_check)
            collects.append(patterns_collect)


# -- helpers -----------------------------------------------------------------------------------------------
