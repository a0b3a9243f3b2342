"""Small readers detectors share: YAML documents, TOML and JSON that never raise, names as Backstage wants."""

from __future__ import annotations

import json
import posixpath
import tomllib
from collections.abc import Iterator
from typing import Any

import yaml

from callboard.sdk import entity_name

__all__ = ["entity_name", "folder", "json_object", "toml", "yaml_documents"]


def folder(path: str) -> str:
    """The folder of a repository path (``""`` for the root)."""
    parent = posixpath.dirname(path)
    return "" if parent == "." else parent


def yaml_documents(text: str | None) -> Iterator[Any]:
    if not text:
        return
    try:
        yield from (document for document in yaml.safe_load_all(text) if document is not None)
    except yaml.YAMLError:
        return


def toml(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def json_object(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        loaded = json.loads(text)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
