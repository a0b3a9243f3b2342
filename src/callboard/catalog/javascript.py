"""JavaScript semantics that Backstage's behaviour depends on: property order, regex meaning, String(), equality.

Backstage's verdicts come out of JavaScript (ajv, lodash, template strings); matching them from Python means
matching these details exactly.
"""

from __future__ import annotations

import math
import re
from typing import Any


def js_keys(value: dict[str, Any]) -> list[str]:
    """Keys in JavaScript's property order: array-index keys ascending first, then the rest as inserted."""
    keys = list(value)
    indexes = [key for key in keys if _is_array_index(key)]
    if not indexes:
        return keys
    return sorted(indexes, key=int) + [key for key in keys if not _is_array_index(key)]


def _is_array_index(key: str) -> bool:
    return key.isdigit() and key.isascii() and (key == "0" or not key.startswith("0")) and int(key) < 2**32 - 1


_JS_DOT = "[^\n\r\u2028\u2029]"


def js_regex(pattern: str) -> re.Pattern[str]:
    """Compile a JavaScript (``u``-flag) regular expression with its meaning of ``.`` and ``$``."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "." and not in_class:
            char = _JS_DOT
        elif char == "$" and not in_class:
            # JavaScript's $ (without the m flag) matches only at the very end, never before a final newline.
            char = r"\Z"
        out.append(char)
        index += 1
    return re.compile("".join(out))


def json_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return bool(left == right)


def js_string(value: Any) -> str:
    """``String(value)`` as JavaScript writes it (``null``, ``true``, ``1`` for 1.0, arrays joined by commas)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if math.isnan(value):
            return "NaN"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)
