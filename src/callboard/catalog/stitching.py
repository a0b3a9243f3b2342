"""Stitching: the final entity the API serves, its etag, and its rows in the filter index (pure functions).

Final entity = processed entity + relations (deduplicated, sorted by type then target) + ``status.items`` from
processing errors + the orphan annotation when nothing keeps the entity alive + ``uid`` + ``etag``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from callboard.core.entity import ANNOTATION_EDIT_URL, ANNOTATION_ORPHAN, ANNOTATION_VIEW_URL, Entity

MAX_KEY = 200
MAX_VALUE = 200
_REJECTED_URL = "https://backstage.io/annotation-rejected-for-security-reasons"
_SKIPPED_ROOTS = frozenset({"attachments", "relations", "status"})
_SKIPPED_KEYS = frozenset({"metadata.name", "metadata.namespace", "metadata.uid", "metadata.etag"})


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stitch(
    processed: Entity,
    *,
    entity_id: str,
    relations: Iterable[tuple[str, str]],
    status_items: list[dict[str, Any]],
    orphan: bool,
) -> tuple[Entity, str]:
    """The final entity and its hash (also its etag)."""
    metadata = dict(processed["metadata"])
    annotations = dict(metadata.get("annotations") or {})
    for key in (ANNOTATION_VIEW_URL, ANNOTATION_EDIT_URL):
        value = annotations.get(key)
        if isinstance(value, str) and value.strip().lower().startswith("javascript:"):
            annotations[key] = _REJECTED_URL
    if orphan:
        annotations[ANNOTATION_ORPHAN] = "true"
    else:
        annotations.pop(ANNOTATION_ORPHAN, None)
    if annotations or "annotations" in metadata:
        metadata["annotations"] = annotations
    metadata.pop("etag", None)
    metadata["uid"] = entity_id
    final: Entity = {**processed, "metadata": metadata}
    final["relations"] = [{"type": t, "targetRef": target} for t, target in sorted(set(relations))]
    if status_items:
        existing = (processed.get("status") or {}).get("items") or []
        final["status"] = {"items": [*existing, *status_items]}
    digest = hashlib.sha256(canonical_json(final).encode()).hexdigest()
    final["metadata"]["etag"] = digest[:40]
    return final, digest


def search_rows(entity: Entity) -> Iterator[tuple[str, str | None, str | None]]:
    """(key, original_value, value) rows as Backstage's buildEntitySearch makes them; keys/values lower-cased."""
    seen: set[tuple[str, str | None]] = set()

    def row(key: str, value: Any) -> Iterator[tuple[str, str | None, str | None]]:
        if len(key) > MAX_KEY:
            return
        key = key.lower()
        if value is None:
            original = None
        elif isinstance(value, bool):
            original = "true" if value else "false"
        else:
            original = str(value)
        if original is not None and len(original) > MAX_VALUE:
            original = None
        identity = (key, original.lower() if original is not None else None)
        if identity in seen:
            return
        seen.add(identity)
        yield key, original, identity[1]

    def walk(path: str, value: Any) -> Iterator[tuple[str, str | None, str | None]]:
        if isinstance(value, dict):
            for child_key, child in value.items():
                child_path = f"{path}.{child_key}" if path else str(child_key)
                if not path and child_key in _SKIPPED_ROOTS:
                    continue
                if child_path in _SKIPPED_KEYS:
                    continue
                yield from walk(child_path, child)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    yield from row(f"{path}.{item}", True)
                yield from walk(path, item)
        else:
            yield from row(path, value)

    yield from walk("", entity)
    metadata = entity.get("metadata") or {}
    yield from row("metadata.name", metadata.get("name"))
    yield from row("metadata.namespace", metadata.get("namespace") or "default")
    yield from row("metadata.uid", metadata.get("uid"))
    for relation in entity.get("relations") or []:
        yield from row(f"relations.{relation['type']}", relation["targetRef"])


def status_items(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored processing errors as ``status.items`` of type backstage.io/catalog-processing."""
    return [
        {
            "type": "backstage.io/catalog-processing",
            "level": "error",
            "message": f"{error['name']}: {error['message']}",
            "error": {"name": error["name"], "message": error["message"]},
        }
        for error in errors
    ]
