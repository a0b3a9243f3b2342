"""What people wrote wins over what was inferred: a repository's own ``catalog-info.yaml`` field by field,
then the platform team's overrides file over both. Every disagreement is kept as a conflict to show."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from callboard.discovery.inference import Inferred

_KEYED = ("metadata.annotations", "metadata.labels")


def leaves(node: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every leaf; annotation and label keys stay whole (they contain dots)."""
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value and path not in _KEYED:
            yield from leaves(value, path)
        elif isinstance(value, Mapping) and path in _KEYED:
            for name, inner in value.items():
                yield f"{path}.{name}", inner
        else:
            yield path, value


def _split(path: str) -> list[str]:
    for keyed in _KEYED:
        if path.startswith(keyed + "."):
            return [*keyed.split("."), path[len(keyed) + 1 :]]
    return path.split(".")


def get(entity: Mapping[str, Any], path: str) -> Any:
    node: Any = entity
    for part in _split(path):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def put(entity: dict[str, Any], path: str, value: Any) -> None:
    parts = _split(path)
    node = entity
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


def apply(target: Inferred, written: Mapping[str, Any], source: str, by: str, rule: str) -> None:
    """Write every leaf of ``written`` into ``target``, recording where it came from and what it replaced."""
    for path, value in leaves(written):
        if path in ("apiVersion", "kind"):
            continue
        before = get(target.entity, path)
        loser = target.provenance.get(path) or {}
        # A field left for review holds a placeholder, not a claim: writing it settles it, nothing disagrees.
        if before is not None and value is not None and before != value and not loser.get("review"):
            target.conflicts.append(
                {
                    "field": path,
                    "kept": value,
                    "keptFrom": source if source == by else f"{source} ({by})",
                    "replaced": before,
                    "replacedFrom": f"{loser.get('source', '?')}: {loser.get('rule', '')}".strip(),
                }
            )
        put(target.entity, path, copy.deepcopy(value))
        target.provenance[path] = {"value": value, "source": source, "rule": rule, "confidence": 1.0, "by": by}


def merge(
    inferred: Sequence[Inferred],
    declared: Sequence[tuple[str, str, Mapping[str, Any]]],
    overrides: Mapping[str, Mapping[str, Any]],
    overrides_source: str = "overrides",
) -> list[Inferred]:
    """Inferred entities with ``declared`` ones (path, unit, entity) and ``overrides`` (ref → patch) applied.

    A declared entity replaces the inferred entity of the same kind in its folder (or of the same kind and
    name); one that matches nothing is added as written.
    """
    result = [
        Inferred(copy.deepcopy(item.entity), dict(item.provenance), item.unit, list(item.conflicts))
        for item in inferred
    ]
    for path, unit, entity in declared:
        kind = str(entity.get("kind", ""))
        name = str((entity.get("metadata") or {}).get("name", ""))
        same_kind = [item for item in result if item.entity["kind"] == kind]
        matches = [item for item in same_kind if item.entity["metadata"].get("name") == name]
        if not matches:
            in_folder = [item for item in same_kind if item.unit == unit]
            matches = in_folder if len(in_folder) == 1 else []
        if matches:
            apply(matches[0], entity, path, "catalog-info.yaml", f"written in {path}")
        else:
            added = Inferred({"apiVersion": entity.get("apiVersion", "backstage.io/v1alpha1"), "kind": kind}, {}, unit)
            apply(added, entity, path, "catalog-info.yaml", f"written in {path}")
            result.append(added)
    for item in result:
        patch = overrides.get(item.ref)
        if patch:
            apply(item, patch, overrides_source, "overrides", f"set by the platform team in {overrides_source}")
    return result
