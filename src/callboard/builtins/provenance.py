"""The "Where did this come from?" card: for an inferred entity, each field's file, rule and confidence,
the disagreements between what was written and what was inferred, and when its repository was last seen."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from callboard.sdk import EntityCard, EntityContext, hookimpl

CALLBOARD_PLUGIN_API = "1.0"
PROVENANCE = "callboard.dev/provenance"


def _annotations(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    return (entity.get("metadata") or {}).get("annotations") or {}


def _inferred(entity: Mapping[str, Any]) -> bool:
    return PROVENANCE in _annotations(entity)


def provenance_context(ctx: EntityContext) -> dict[str, Any]:
    annotations = _annotations(ctx.entity)
    try:
        provenance = json.loads(str(annotations[PROVENANCE]))
    except ValueError:
        return {"broken": True}
    rows = []
    for field, found in sorted((provenance.get("fields") or {}).items()):
        value = found.get("value")
        shown = value if isinstance(value, str) else json.dumps(value)
        rows.append(
            {
                "field": field,
                "value": shown,
                **{k: found.get(k) for k in ("source", "rule", "confidence", "by")},
                "alternatives": found.get("alternatives") or [],
            }
        )
    return {
        "provenance": provenance,
        "rows": rows,
        "conflicts": provenance.get("conflicts") or [],
        "last_seen": annotations.get("callboard.dev/source-last-seen"),
        "orphan_reason": annotations.get("callboard.dev/orphan-reason"),
    }


@hookimpl
def register_entity_cards() -> list[EntityCard]:
    return [
        EntityCard(
            "provenance",
            "Where did this come from?",
            "cards/provenance.html",
            "main",
            15,
            _inferred,
            provenance_context,
        )
    ]
