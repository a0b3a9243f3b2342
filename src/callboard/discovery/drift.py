"""Drift of the evidence itself: when a repository is read again and a field's value or the file and rule
behind it changed (the deploy job removed, CODEOWNERS naming another team, a descriptor edited), the field
remembers what it was and since when; a field whose evidence disappeared is kept as *removed* until it returns.

What is remembered lives in the field's provenance (``changed``), so it travels with the entity: the entity page
shows it, the Discovery page lists recent ones, and an unchanged repository (not read again) keeps it as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from callboard.discovery.inference import Inferred

#: What a field is and which file says so. A rule's wording changes with Callboard's version, not with the
#: repository, so a new wording alone is not drift.
_COMPARED = ("value", "source")


@dataclass(frozen=True)
class FieldChange:
    ref: str
    field: str
    value: Any
    source: str
    was: Any
    was_from: str
    at: float
    removed: bool = False


def mark_changes(before: Sequence[Inferred], after: Sequence[Inferred], now: float) -> None:
    """Mark in ``after``'s provenance each field whose value or evidence differs from ``before``'s, and carry
    the marks of fields that did not change. Entities new to the repository are not marked (nothing drifted)."""
    previous = {item.ref: item for item in before}
    for item in after:
        old = previous.get(item.ref)
        if old is None:
            continue
        for name, found in item.provenance.items():
            earlier = old.provenance.get(name)
            if earlier is None or earlier.get("removed"):
                # New, or back after its evidence was gone: before this scan there was nothing.
                found["changed"] = {"at": now, "was": None, "wasFrom": "not inferred"}
            elif any(earlier.get(key) != found.get(key) for key in _COMPARED):
                found["changed"] = {"at": now, "was": earlier.get("value"), "wasFrom": _evidence(earlier)}
            elif "changed" in earlier:
                found["changed"] = earlier["changed"]
        for name, earlier in old.provenance.items():
            if name in item.provenance:
                continue
            if earlier.get("removed"):
                item.provenance[name] = earlier  # still gone, since it went
            else:
                item.provenance[name] = {
                    "value": None,
                    "removed": True,
                    "was": earlier.get("value"),
                    "source": "",
                    "rule": f"the evidence is gone (was {_evidence(earlier)})",
                    "confidence": 0.0,
                    "by": earlier.get("by", "inference"),
                    "changed": {"at": now, "was": earlier.get("value"), "wasFrom": _evidence(earlier)},
                }


def changes(ref: str, provenance: dict[str, Any]) -> list[FieldChange]:
    """The marked changes of one entity's provenance annotation (``fields``), newest first."""
    found: list[FieldChange] = []
    for name, evidence in (provenance.get("fields") or {}).items():
        changed = evidence.get("changed") if isinstance(evidence, dict) else None
        if not isinstance(changed, dict) or not isinstance(changed.get("at"), int | float):
            continue
        found.append(
            FieldChange(
                ref,
                name,
                evidence.get("value"),
                _evidence(evidence) if not evidence.get("removed") else "",
                changed.get("was"),
                str(changed.get("wasFrom") or ""),
                float(changed["at"]),
                bool(evidence.get("removed")),
            )
        )
    return sorted(found, key=lambda change: -change.at)


def _evidence(found: dict[str, Any]) -> str:
    source, rule = str(found.get("source") or ""), str(found.get("rule") or "")
    return f"{source}: {rule}" if source and rule else source or rule
