"""Pieces of the catalog API's paging: opaque cursors, and ``fields=`` selection of entity sub-trees."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from callboard.catalog.stitching import load_json
from callboard.core.entity import Entity
from callboard.core.errors import InputError

__all__ = ["decode_cursor", "encode_cursor", "select_fields"]


def select_fields(entity: Entity, fields: Sequence[str]) -> Entity:
    """Keep only the dotted sub-trees named in ``fields`` (Backstage's ``fields=`` parameter)."""
    if not fields:
        return entity
    result: Entity = {}
    for path in fields:
        parts = [part for part in path.split(".") if part]
        source: Any = entity
        for part in parts:
            if not isinstance(source, dict) or part not in source:
                source = _MISSING
                break
            source = source[part]
        if source is _MISSING or not parts:
            continue
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = source
    return result


_MISSING = object()


def encode_cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = load_json(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InputError(f"Malformed cursor: {cursor[:40]}") from error
    if not isinstance(data, dict):
        raise InputError("Malformed cursor")
    return data
