"""Stitching: the final entity the API serves, its etag, and its rows in the filter index (pure functions).

Final entity = processed entity + relations (deduplicated, sorted by type then target) + ``status.items`` from
processing errors + the orphan annotation when nothing keeps the entity alive + ``uid`` + ``etag``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import orjson

from callboard.core.entity import (
    ANNOTATION_EDIT_URL,
    ANNOTATION_ORPHAN,
    ANNOTATION_ORPHAN_REASON,
    ANNOTATION_VIEW_URL,
    Entity,
)

MAX_KEY = 200
MAX_VALUE = 200
_REJECTED_URL = "https://backstage.io/annotation-rejected-for-security-reasons"
_SKIPPED_ROOTS = frozenset({"attachments", "relations", "status"})
_SKIPPED_KEYS = frozenset({"metadata.name", "metadata.namespace", "metadata.uid", "metadata.etag"})


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: what is stored, and what hashes and etags are computed from."""
    return canonical_bytes(value).decode()


def canonical_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        # Integers beyond 64 bits, lone surrogates and the like: the standard library copes, more slowly
        # (escaping what is not valid UTF-8, so the text can still be stored and read back).
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def load_json(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson refuses escaped lone surrogates, which the standard library reads (and the entity pipeline
        # then refuses with the field named); anything else is invalid JSON to both.
        return json.loads(text)


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
    # Nothing keeps it alive, or its provider says its source is gone (and why): either way an orphan.
    if orphan or annotations.get(ANNOTATION_ORPHAN_REASON):
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
    digest = hashlib.sha256(canonical_bytes(final)).hexdigest()
    final["metadata"]["etag"] = digest[:40]
    return final, digest


def search_rows(entity: Entity) -> list[tuple[str, str | None, str | None]]:
    """(key, original_value, value) rows as Backstage's buildEntitySearch makes them; keys/values lower-cased.

    Every leaf is a row keyed by its dotted path (arrays add no index); a string item of an array also gives
    ``<path>.<item>`` = ``true``. Keys over 200 characters are skipped; values over 200 are stored as NULL.
    """
    rows: list[tuple[str, str | None, str | None]] = []
    seen: set[tuple[str, str | None]] = set()

    def add(key: str, value: Any) -> None:
        if len(key) > MAX_KEY:
            return
        key = key.lower()
        if value is None:
            original = None
        elif value is True:
            original = "true"
        elif value is False:
            original = "false"
        else:
            original = value if type(value) is str else str(value)
            if len(original) > MAX_VALUE:
                original = None
        lowered = original.lower() if original is not None else None
        if (key, lowered) not in seen:
            seen.add((key, lowered))
            rows.append((key, original, lowered))

    stack: list[tuple[str, Any]] = [
        (key, value) for key, value in reversed(entity.items()) if key not in _SKIPPED_ROOTS
    ]
    while stack:
        path, value = stack.pop()
        if type(value) is dict:
            stack.extend(
                (child, item)
                for child, item in ((f"{path}.{key}", item) for key, item in reversed(value.items()))
                if child not in _SKIPPED_KEYS
            )
        elif type(value) is list:
            for item in reversed(value):
                stack.append((path, item))
            for item in value:
                if type(item) is str:
                    add(f"{path}.{item}", True)
        else:
            add(path, value)
    metadata = entity.get("metadata") or {}
    add("metadata.name", metadata.get("name"))
    add("metadata.namespace", metadata.get("namespace") or "default")
    add("metadata.uid", metadata.get("uid"))
    for relation in entity.get("relations") or []:
        add(f"relations.{relation['type']}", relation["targetRef"])
    return rows


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
