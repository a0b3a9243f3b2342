"""``catalog.rules``: which kinds may come from which locations (Backstage's defaults and matching)."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from callboard.catalog.reading import parse_location_ref

#: With no ``catalog.rules`` key, Backstage lets only these kinds in.
DEFAULT_ALLOWED = ("Component", "API", "Location")


@dataclass(frozen=True)
class Rule:
    allow: frozenset[str]
    locations: tuple[Mapping[str, str], ...] | None = None

    def applies_to(self, location_type: str, target: str) -> bool:
        if self.locations is None:
            return True
        for matcher in self.locations:
            if matcher.get("type") and matcher["type"] != location_type:
                continue
            if "exact" in matcher and matcher["exact"] != target:
                continue
            if "pattern" in matcher and not fnmatch.fnmatch(target, matcher["pattern"]):
                continue
            return True
        return False


class CatalogRules:
    """Global rules plus per-location overrides from ``catalog.locations[].rules``."""

    def __init__(self, rules: Sequence[Rule], per_location: Mapping[str, Sequence[Rule]] | None = None) -> None:
        self._rules = list(rules)
        self._per_location = dict(per_location or {})

    def __repr__(self) -> str:
        # Stable across processes (sets print in hash order, which changes per process): it is part of the hash
        # that decides whether unchanged files are read again.
        def shown(rules: Sequence[Rule]) -> list[tuple[list[str], object]]:
            return [(sorted(rule.allow), rule.locations) for rule in rules]

        per_location = sorted((key, shown(rules)) for key, rules in self._per_location.items())
        return f"CatalogRules({shown(self._rules)!r}, {per_location!r})"

    @classmethod
    def from_config(cls, catalog: Mapping[str, Any]) -> CatalogRules:
        raw = catalog.get("rules")
        rules = [Rule(frozenset(k.lower() for k in DEFAULT_ALLOWED))] if raw is None else _rules(raw)
        per_location = {
            f"{item['type']}:{item['target']}": _rules(item["rules"])
            for item in catalog.get("locations") or []
            if isinstance(item, Mapping) and item.get("rules") is not None
        }
        return cls(rules, per_location)

    def is_allowed(self, kind: Any, origin: str) -> bool:
        if not isinstance(kind, str):
            return True  # the entity's own validation reports a bad kind
        rules = self._per_location.get(origin, self._rules)
        try:
            location_type, target = parse_location_ref(origin)
        except ValueError:
            location_type, target = "", origin
        kind_key = kind.lower()
        return any(
            ("*" in rule.allow or kind_key in rule.allow) and rule.applies_to(location_type, target) for rule in rules
        )


def _rules(raw: Any) -> list[Rule]:
    rules = []
    for item in raw or []:
        allow = frozenset(str(kind).lower() for kind in item.get("allow") or [])
        locations = item.get("locations")
        rules.append(Rule(allow, tuple(locations) if locations is not None else None))
    return rules
