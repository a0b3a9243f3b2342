"""The "Where did this come from?" card: for an inferred entity, each field's file, rule and confidence,
the disagreements between what was written and what was inferred, and when its repository was last seen."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from callboard.sdk import EntityCard, EntityContext, hookimpl

CALLBOARD_PLUGIN_API = "1.7"
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
    files = _file_links(annotations)
    for field, found in sorted((provenance.get("fields") or {}).items()):
        value = found.get("value")
        shown = value if isinstance(value, str) else "left empty" if value is None else json.dumps(value)
        source = str(found.get("source") or "")
        rows.append(
            {
                "field": field,
                # An annotation's path is long and says little: its name, marked as an annotation, reads better.
                "label": field.removeprefix("metadata.annotations."),
                "annotation": field.startswith("metadata.annotations."),
                "value": shown,
                **{k: found.get(k) for k in ("source", "rule", "confidence", "by")},
                "source_url": files(source),
                "alternatives": found.get("alternatives") or [],
                "removed": bool(found.get("removed")),
                "was": found.get("was"),
                "changed": _changed(found.get("changed")),
            }
        )
    return {
        "provenance": provenance,
        "rows": rows,
        "conflicts": provenance.get("conflicts") or [],
        "last_seen": annotations.get("callboard.dev/source-last-seen"),
        "orphan_reason": annotations.get("callboard.dev/orphan-reason"),
    }


def _changed(changed: Any) -> dict[str, Any] | None:
    """When a field's value or evidence last changed, what it was and where that came from, for the card."""
    if not isinstance(changed, dict) or not isinstance(changed.get("at"), int | float):
        return None
    was = changed.get("was")
    return {
        "on": datetime.fromtimestamp(float(changed["at"]), UTC).strftime("%Y-%m-%d"),
        "was": "nothing" if was is None else was if isinstance(was, str) else json.dumps(was),
        "from": str(changed.get("wasFrom") or ""),
    }


#: Evidence that names a file of the repository: a path, or a file name such as Dockerfile or CODEOWNERS.
#: A folder on GitHub (``/tree/<branch>``) or GitLab (``/-/tree/<branch>``): the repository, its branch.
REPOSITORY_TREE = re.compile(r"^(https://[^?#]+?)/(-/)?tree/([^/]+)")
FILE_PATH = re.compile(r"^(?:[\w.-]+/)*(?:[\w-]*\.[\w.-]+|[A-Z][A-Za-z]+)$")


def _file_links(annotations: Mapping[str, Any]) -> Callable[[str], str | None]:
    """A link to the evidence: a web address as it is, a file of the entity's repository on its host (GitHub,
    GitLab) when the source location is a web address; evidence that is not a file (an API call, a rule) gets none.
    """
    location = str(annotations.get("backstage.io/source-location") or "")
    # Evidence paths are from the repository's root; the location may be a folder of it (a monorepo's component).
    found = REPOSITORY_TREE.match(location.removeprefix("url:")) if location.startswith("url:https://") else None

    def link(source: str) -> str | None:
        if source.startswith("https://"):
            return source
        if found is None:
            return None
        root, dash, branch = found.group(1), found.group(2) or "", found.group(3)
        if source == ".":
            return f"{root}/{dash}tree/{branch}"
        return f"{root}/{dash}blob/{branch}/{quote(source)}" if FILE_PATH.match(source) else None

    return link


@hookimpl
def register_entity_cards() -> list[EntityCard]:
    return [
        EntityCard(
            "provenance",
            "Where did this come from?",
            "cards/provenance.html",
            "full",
            15,
            _inferred,
            provenance_context,
        )
    ]
