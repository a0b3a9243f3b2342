"""Scoring discovery against the sample repositories' expected entities: precision and recall per field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from callboard.demo.sample_repos import Expected

FIELDS = ("kind", "type", "owner", "lifecycle", "providesApis", "techdocs-ref")


def observed(entity: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """An inferred entity's ref and the fields that are scored."""
    metadata = entity.get("metadata") or {}
    spec = entity.get("spec") or {}
    ref = f"{entity['kind']}:default/{metadata['name']}".lower()
    values: dict[str, Any] = {
        "kind": entity["kind"],
        "type": spec.get("type"),
        "owner": spec.get("owner"),
        "lifecycle": spec.get("lifecycle"),
    }
    if entity["kind"] == "Component":
        values["providesApis"] = sorted(spec.get("providesApis") or [])
        values["techdocs-ref"] = (metadata.get("annotations") or {}).get("backstage.io/techdocs-ref")
    return ref, {key: value for key, value in values.items() if value is not None}


def scores(
    entities: Iterable[Mapping[str, Any]], expected: Mapping[str, Expected]
) -> dict[str, tuple[float, float, list[str]]]:
    """Per field: (precision, recall, the mistakes). A pair (entity, value) is right when both agree;
    precision counts the pairs discovery gave, recall the pairs a person expects."""
    found = dict(observed(entity) for entity in entities)
    result: dict[str, tuple[float, float, list[str]]] = {}
    for field in FIELDS:
        given = {(ref, str(values[field])) for ref, values in found.items() if field in values and values[field] != []}
        wanted = {
            (ref, str(item.fields()[field]))
            for ref, item in expected.items()
            if field in item.fields() and item.fields()[field] != []
        }
        right = given & wanted
        mistakes = sorted(f"{ref}: got {value}" for ref, value in given - wanted)
        mistakes += sorted(f"{ref}: missed {value}" for ref, value in wanted - given)
        precision = len(right) / len(given) if given else 1.0
        recall = len(right) / len(wanted) if wanted else 1.0
        result[field] = (precision, recall, mistakes)
    return result
