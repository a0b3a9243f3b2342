"""Generated Python for the fast path of schema validation: a boolean verdict without per-keyword closures.

Like ajv, which compiles each schema to JavaScript source, this compiles a schema to Python source once and
``exec``s it; the result answers "valid or not" several times faster than walking closures. Errors are still
collected by :mod:`callboard.catalog.schema_check`'s closures, in ajv's order, only for invalid input.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_MISSING = object()
_INLINE_KEYWORDS = frozenset(
    {"type", "minLength", "maxLength", "enum", "description", "default", "examples", "title", "deprecated", "$comment"}
)
_TYPE_EXPR = {
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "string": "type({v}) is str",
    "number": "(type({v}) is int or type({v}) is float)",
    "integer": "(type({v}) is int or (type({v}) is float and {v}.is_integer()))",
    "boolean": "type({v}) is bool",
    "null": "{v} is None",
}


class FastCodegen:
    """Turns schemas into one module of generated functions, sharing functions for shared sub-schemas."""

    def __init__(
        self,
        resolve: Callable[[str, str], tuple[Mapping[str, Any], str]],
        supported: Callable[[Mapping[str, Any]], bool],
        fallback: Callable[[Any, str], Check],
        js_regex: Callable[[str], Any],
        json_equal: Callable[[Any, Any], bool],
    ) -> None:
        self._resolve = resolve
        self._supported = supported
        self._fallback = fallback
        self._js_regex = js_regex
        self._names: dict[tuple[int, str], str] = {}
        self._sources: list[str] = []
        self._namespace: dict[str, Any] = {"_M": _MISSING, "_eq": json_equal, "_isinf": math.isinf}

    def compile(self, schema: Any, base: str) -> Check:
        name = self._function(schema, base)
        exec("\n".join(self._sources), self._namespace)
        function: Check = self._namespace[name]
        return function

    def _constant(self, value: Any) -> str:
        name = f"_c{len(self._namespace)}"
        self._namespace[name] = value
        return name

    def _function(self, schema: Any, base: str) -> str:
        key = (id(schema), base)
        if key in self._names:
            return self._names[key]
        name = f"_f{len(self._names)}"
        self._names[key] = name
        body = self._body(schema, base)
        self._sources.append(f"def {name}(v):\n" + "\n".join("    " + line for line in body))
        return name

    def _body(self, schema: Any, base: str) -> list[str]:
        if schema is True or schema == {}:
            return ["return True"]
        if schema is False:
            return ["return False"]
        if isinstance(schema.get("$id"), str) and not schema["$id"].startswith("#"):
            base = schema["$id"]
        if not self._supported(schema):
            return [f"return {self._constant(self._fallback(schema, base))}(v)"]
        lines: list[str] = []
        types = schema.get("type")
        type_list = [types] if isinstance(types, str) else list(types or [])
        if type_list:
            lines.append(f"if not ({' or '.join(_TYPE_EXPR[t].format(v='v') for t in type_list)}): return False")
        if "$ref" in schema:
            target, target_base = self._resolve(schema["$ref"], base)
            lines.append(f"if not {self._function(target, target_base)}(v): return False")
        if "const" in schema:
            lines.append(f"if not _eq(v, {self._constant(schema['const'])}): return False")
        if "enum" in schema:
            allowed = schema["enum"]
            if all(isinstance(item, str) for item in allowed):
                lines.append(f"if not (type(v) is str and v in {self._constant(frozenset(allowed))}): return False")
            else:
                lines.append(f"if not any(_eq(v, a) for a in {self._constant(list(allowed))}): return False")
        if "not" in schema:
            lines.append(f"if {self._function(schema['not'], base)}(v): return False")
        for branch in schema.get("allOf", ()):
            lines.append(f"if not {self._function(branch, base)}(v): return False")
        if "anyOf" in schema:
            names = ", ".join(self._function(branch, base) for branch in schema["anyOf"])
            lines.append(f"if not any(f(v) for f in ({names},)): return False")
        if "oneOf" in schema:
            names = ", ".join(self._function(branch, base) for branch in schema["oneOf"])
            lines.append(f"if sum(1 for f in ({names},) if f(v)) != 1: return False")
        lines.extend(self._string_lines(schema))
        lines.extend(self._array_lines(schema, base))
        lines.extend(self._object_lines(schema, base))
        lines.append("return True")
        return lines

    def _string_lines(self, schema: Mapping[str, Any]) -> list[str]:
        checks = []
        if "minLength" in schema:
            checks.append(f"if len(v) < {int(schema['minLength'])}: return False")
        if "maxLength" in schema:
            checks.append(f"if len(v) > {int(schema['maxLength'])}: return False")
        if "pattern" in schema:
            checks.append(f"if {self._constant(self._js_regex(schema['pattern']))}.search(v) is None: return False")
        return ["if type(v) is str:", *("    " + c for c in checks)] if checks else []

    def _array_lines(self, schema: Mapping[str, Any], base: str) -> list[str]:
        checks = []
        if "minItems" in schema:
            checks.append(f"if len(v) < {int(schema['minItems'])}: return False")
        if "maxItems" in schema:
            checks.append(f"if len(v) > {int(schema['maxItems'])}: return False")
        items = schema.get("items")
        if isinstance(items, Mapping | bool) and items not in (True, {}):
            inline = self._inline(items, "x")
            test = inline if inline is not None else f"{self._function(items, base)}(x)"
            checks += ["for x in v:", f"    if not ({test}): return False"]
        return ["if type(v) is list:", *("    " + c for c in checks)] if checks else []

    def _object_lines(self, schema: Mapping[str, Any], base: str) -> list[str]:
        checks = []
        required = list(schema.get("required") or [])
        if required:
            checks.append(f"if {' or '.join(f'{name!r} not in v' for name in required)}: return False")
        properties: Mapping[str, Any] = schema.get("properties") or {}
        patterns = [
            (self._constant(self._js_regex(pattern)), sub)
            for pattern, sub in (schema.get("patternProperties") or {}).items()
        ]
        additional = schema.get("additionalProperties", True)
        if additional is not True and additional != {}:
            known = self._constant(frozenset(properties))
            matched = "".join(f" and {regex}.search(k) is None" for regex, _ in patterns)
            if additional is False:
                checks += ["for k in v:", f"    if k not in {known}{matched}: return False"]
            else:
                function = self._function(additional, base)
                checks += [
                    "for k, x in v.items():",
                    f"    if k not in {known}{matched} and not {function}(x): return False",
                ]
        for name, sub in properties.items():
            if sub is True or sub == {}:
                continue
            inline = self._inline(sub, "x")
            test = inline if inline is not None else f"{self._function(sub, base)}(x)"
            checks += [f"x = v.get({name!r}, _M)", f"if x is not _M and not ({test}): return False"]
        for regex, sub in patterns:
            inline = self._inline(sub, "x")
            test = inline if inline is not None else f"{self._function(sub, base)}(x)"
            checks += ["for k, x in v.items():", f"    if {regex}.search(k) and not ({test}): return False"]
        return ["if type(v) is dict:", *("    " + c for c in checks)] if checks else []

    def _inline(self, schema: Any, var: str) -> str | None:
        """An expression for small leaf schemas (a type with length limits or an enum), else None."""
        if not isinstance(schema, Mapping) or set(schema) - _INLINE_KEYWORDS:
            return None
        types = schema.get("type")
        if not isinstance(types, str) or (types != "string" and (set(schema) & {"minLength", "maxLength"})):
            return None
        parts = [_TYPE_EXPR[types].format(v=var)]
        if "minLength" in schema:
            parts.append(f"len({var}) >= {int(schema['minLength'])}")
        if "maxLength" in schema:
            parts.append(f"len({var}) <= {int(schema['maxLength'])}")
        if "enum" in schema:
            if not all(isinstance(item, str) for item in schema["enum"]):
                return None
            parts.append(f"{var} in {self._constant(frozenset(schema['enum']))}")
        return " and ".join(parts)
