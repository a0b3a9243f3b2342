"""The Inspect tab: the entity as the API serves it, in YAML and JSON, and where it was read from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from callboard.sdk import EntityContext, highlight

LOCATION = "backstage.io/managed-by-location"
ORIGIN_LOCATION = "backstage.io/managed-by-origin-location"


def inspect_context(context: EntityContext) -> Mapping[str, Any]:
    entity = context.entity
    as_yaml = yaml.safe_dump(dict(entity), sort_keys=False, allow_unicode=True, width=100)
    as_json = json.dumps(entity, indent=2, ensure_ascii=False)
    annotations = entity.get("metadata", {}).get("annotations") or {}
    chain, ref = [], context.ref
    for _ in range(10):
        parents = context.catalog.parents(ref)
        if not parents:
            break
        ref = parents[0]
        chain.append(ref)
    return {
        "yaml_text": as_yaml,
        "json_text": as_json,
        "yaml": highlight(as_yaml, "yaml"),
        "json": highlight(as_json, "json"),
        "location": annotations.get(LOCATION),
        "origin": annotations.get(ORIGIN_LOCATION),
        "chain": chain,
    }
