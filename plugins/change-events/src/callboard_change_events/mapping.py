"""Which catalog entities an event concerns: named outright, by an annotation the entity carries, or by the
rules in config. An event none of these place is kept, with the reason, and placed when its entity appears."""

from __future__ import annotations

import fnmatch
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


def place(event: ChangeEvent, catalog: PluginCatalog, rules: Sequence[Rule]) -> Placement:
    refs: list[str] = list(event.entity_refs)
    for rule in rules:
        found = _by_rule(event, rule)
        if found:
            refs.append(found)
    for key in event.match_keys:
        refs.extend(refs_for_key(catalog, key))
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
