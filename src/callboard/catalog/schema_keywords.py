"""The pieces of ajv-compatible checking that do not depend on a schema: errors, types, limits, delegation."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from callboard.catalog.descriptors import FieldPath
from callboard.catalog.javascript import js_regex, js_string

Check = Callable[[Any], bool]
Collect = Callable[[Any, FieldPath, list["SchemaError"]], None]


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One ajv error: where (JSON pointer and path), which keyword, ajv's message and params."""

    path: FieldPath
    keyword: str
    message: str
    params: tuple[tuple[str, Any], ...]

    @property
    def instance_path(self) -> str:
        return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in self.path)

    def text(self, *, with_params: bool = True) -> str:
        """The message as Backstage words it: ``<path> <message> - <param>: <value>``."""
        text = f"{self.instance_path or '<root>'} {self.message}"
        if with_params:
            text += " - " + ", ".join(f"{key}: {js_string(value)}" for key, value in self.params)
        return text


def pattern_safe(schema: Mapping[str, Any]) -> bool:
    try:
        if "pattern" in schema:
            js_regex(schema["pattern"])
        for pattern in schema.get("patternProperties") or {}:
            js_regex(pattern)
    except re.error:
        return False
    return True


def declared_types(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


TYPE_TESTS: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def type_test(types: list[str]) -> Check:
    if len(types) == 1:
        return TYPE_TESTS[types[0]]
    tests = [TYPE_TESTS[name] for name in types]
    return lambda value: any(test(value) for test in tests)


def type_error(path: FieldPath, types: list[str]) -> SchemaError:
    joined = ",".join(types)
    return SchemaError(path, "type", f"must be {joined}", (("type", types[0] if len(types) == 1 else types),))


def group_of(value: Any) -> str | None:
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return None


def limit(
    checks: list[Check],
    collects: list[Collect],
    keyword: str,
    limit: int,
    measure: Callable[[Any], int],
    unit: str,
    *,
    maximum: bool,
) -> None:
    def check(value: Any) -> bool:
        size = measure(value)
        return size <= limit if maximum else size >= limit

    def collect(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
        if not check(value):
            word = "more" if maximum else "fewer"
            out.append(SchemaError(path, keyword, f"must NOT have {word} than {limit} {unit}", (("limit", limit),)))

    checks.append(check)
    collects.append(collect)


def always(value: Any) -> bool:
    return True


def never(value: Any) -> bool:
    return False


def collect_nothing(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
    return None


def false_schema(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
    out.append(SchemaError(path, "false schema", "boolean schema is false", ()))


def delegate(schema: Mapping[str, Any]) -> tuple[Check, Collect]:
    """Validate a sub-schema with the ``jsonschema`` library when it uses keywords we do not compile."""
    validator = jsonschema.Draft7Validator(schema)

    def check(value: Any) -> bool:
        return bool(validator.is_valid(value))

    def collect(value: Any, path: FieldPath, out: list[SchemaError]) -> None:
        for error in validator.iter_errors(value):
            keyword = str(error.validator)
            message = error.message
            out.append(SchemaError((*path, *error.absolute_path), keyword, message, ()))

    return check, collect
