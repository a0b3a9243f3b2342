"""Kubernetes label selectors as Backstage's ``backstage.io/kubernetes-label-selector`` annotation holds them:
``app=payments,tier!=cache``, ``env in (prod, staging)``, ``!canary``, ``team``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Selector = Callable[[Mapping[str, str]], bool]

_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQUALITY = re.compile(r"^\s*([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([\w./-]+)\s*$")


def parse(text: str) -> Selector:
    """A predicate over labels; ``ValueError`` naming the requirement that does not parse."""
    tests = [_requirement(part) for part in _split(text)]
    if not tests:
        raise ValueError("an empty label selector would match every workload")
    return lambda labels: all(test(labels) for test in tests)


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part for part in parts if part.strip()]


def _requirement(part: str) -> Selector:
    found = _SET.match(part)
    if found:
        key, operator, values = found.group(1), found.group(2), {v.strip() for v in found.group(3).split(",")}
        if operator == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    found = _EQUALITY.match(part)
    if found:
        key, operator, value = found.groups()
        if operator == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    found = _EXISTS.match(part)
    if found:
        negated, key = found.group(1) == "!", found.group(2)
        return lambda labels: (key in labels) != negated
    raise ValueError(f"label selector requirement {part.strip()!r} is not key=value, key!=value, key in (a,b) or key")
