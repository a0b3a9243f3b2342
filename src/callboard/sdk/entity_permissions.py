"""Deciding a plugin's permission about one entity, conditions included (plugin API 1.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callboard.auth.api import current_access
from callboard.catalog.api import entity_matches
from callboard.core.entity import EntityRef
from callboard.core.permissions import Decision


def decide_for_entity(permission: str, entity: Mapping[str, Any]) -> Decision:
    """The current caller's decision for ``permission`` (declared with ``resource="catalog-entity"``) on
    ``entity`` as the catalog serves it: a rule with conditions (``isEntityOwner``, ``hasAnnotation``...)
    allows it only where the entity meets them, as it does for the catalog's own entity permissions."""
    decision = current_access().decide(permission)
    if decision.result != "conditional":
        return decision
    if entity_matches(entity, decision.criteria):
        return Decision("allow", reason=decision.reason)
    ref = EntityRef.of(dict(entity))
    return Decision("deny", reason=f"{decision.reason}: its conditions do not hold for {ref}")
