"""Which catalog entities an event concerns: named outright, by an annotation the entity carries, or by the
rules in config. An event none of these place is kept, with the reason, and placed when its entity appears."""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from callboard.sdk import EntityRef, EntityRefError, PluginCatalog
from callboard_change_events.model import MATCHED_ANNOTATIONS, ChangeEvent, match_key
from callboard_change_events.settings import Rule

#: Entities one annotation value may place an event on (a monorepo's slug names several components).
MAX_PER_KEY = 20


@dataclass(frozen=True)
class Placement:
    refs: tuple[str, ...]
    #: Why no entity was found (None when ``refs`` is not empty).
    reason: str | None


class KeyCache:
    """Entities per match key, remembered for ``seconds`` and forgotten when the catalog changes: a busy
    repository's deliveries find their entity without a catalog query each."""

    def __init__(self, seconds: float = 600.0, size: int = 50_000) -> None:
        self._seconds = seconds
        self._size = size
        self._found: dict[str, tuple[float, list[str]]] = {}
        self._lock = threading.Lock()

    def refs(self, catalog: PluginCatalog, key: str) -> list[str]:
        now = time.monotonic()
        with self._lock:
            hit = self._found.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = refs_for_key(catalog, key)
        with self._lock:
            if len(self._found) >= self._size:
                self._found.clear()
            self._found[key] = (now + self._seconds, found)
        return found

    def forget(self) -> None:
        with self._lock:
            self._found.clear()


def place(event: ChangeEvent, catalog: PluginCatalog, rules: Sequence[Rule], cache: KeyCache) -> Placement:
    refs: list[str] = list(event.entity_refs)
    for rule in rules:
        found = _by_rule(event, rule)
        if found:
            refs.append(found)
    for key in event.match_keys:
        refs.extend(cache.refs(catalog, key))
    refs = list(dict.fromkeys(refs))
    if refs:
        return Placement(tuple(refs), None)
    if event.match_keys:
        return Placement((), "no entity has " + " or ".join(_annotation_text(key) for key in event.match_keys))
    return Placement((), "the event names no entity (give entityRefs, or a subject for a CloudEvent)")


def refs_for_key(catalog: PluginCatalog, key: str) -> list[str]:
    annotation, _, value = key.partition("=")
    found = catalog.find({f"metadata.annotations.{annotation}": value}, limit=MAX_PER_KEY)
    return [EntityRef.of(dict(entity)).key for entity in found]


def keys_of(entity: Mapping[str, Any]) -> list[str]:
    """The match keys an entity answers to (what unmatched events may be waiting for)."""
    annotations = (entity.get("metadata") or {}).get("annotations") or {}
    return [match_key(name, str(annotations[name])) for name in MATCHED_ANNOTATIONS if annotations.get(name)]


def _annotation_text(key: str) -> str:
    annotation, _, value = key.partition("=")
    return f"{annotation}: {value}"


def _by_rule(event: ChangeEvent, rule: Rule) -> str | None:
    for path, expected in rule.match.items():
        value = _value_at(event, path)
        if value is None or not fnmatch.fnmatchcase(str(value).lower(), expected.lower()):
            return None
    target = rule.entity
    if rule.entity_from:
        named = _value_at(event, rule.entity_from)
        target = str(named) if named not in (None, "") else None
    if not target:
        return None
    try:
        return EntityRef.parse(target, default_kind=rule.kind).key
    except EntityRefError:
        return None


def _value_at(event: ChangeEvent, path: str) -> Any:
    head, _, rest = path.partition(".")
    if head == "attributes":
        value: Any = event.attributes
        for part in rest.split("."):
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value
    if rest:
        return None
    names = {"externalId": "external_id", "id": "external_id"}
    return getattr(event, names.get(head, head), None) if head in {*names, *ChangeEvent.__dataclass_fields__} else None
