"""Fields left for a person to decide: where a source asks for more confidence than the evidence gives
(``minConfidence``), the inferred value is not written; the best candidate is kept beside it, for review.

Backstage requires a Component's ``spec.type``, ``spec.lifecycle`` and ``spec.owner``. A type or lifecycle left
for review becomes ``unknown`` (a value Backstage accepts and people recognise); the owner becomes the source's
``defaultOwner``, which already means "nobody said". Any other field is left out of the entity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from callboard.discovery.inference import Inferred
from callboard.discovery.merge import put

#: Fields every Component must have: left for review, they take a placeholder instead of disappearing.
PLACEHOLDERS = {"spec.type": "unknown", "spec.lifecycle": "unknown"}
#: Facts of the repository itself (its name, where it lives), not guesses: never held back.
CERTAIN = frozenset(
    {
        "metadata.name",
        "metadata.annotations.backstage.io/source-location",
        "metadata.annotations.github.com/project-slug",
        "metadata.annotations.callboard.dev/source-last-seen",
    }
)
#: The key of ``minConfidence`` that applies to fields it does not name.
EVERY_FIELD = "*"


@dataclass(frozen=True)
class HeldField:
    ref: str
    field: str
    candidate: Any
    source: str
    rule: str
    confidence: float
    threshold: float

    @property
    def override_entry(self) -> str:
        """The overrides-file entry that settles the field with its best candidate."""
        patch: dict[str, Any] = {}
        put(patch, self.field, self.candidate)
        return yaml.safe_dump({self.ref: patch}, sort_keys=False, default_flow_style=False).strip()


def threshold(min_confidence: Mapping[str, float], field: str) -> float:
    return min_confidence.get(field, min_confidence.get(EVERY_FIELD, 0.0))


def hold_for_review(items: Sequence[Inferred], min_confidence: Mapping[str, float], default_owner: str) -> None:
    """Replace, in inferred ``items``, each field whose confidence is below its threshold by its placeholder
    (or nothing), keeping the candidate and its evidence in the field's provenance (``review``)."""
    if not min_confidence:
        return
    for item in items:
        for name, found in list(item.provenance.items()):
            required = threshold(min_confidence, name)
            confidence = float(found.get("confidence") or 0.0)
            if name in CERTAIN or found.get("by") != "inference" or confidence >= required or found.get("removed"):
                continue
            is_component = item.entity.get("kind") == "Component"
            placeholder = default_owner if name == "spec.owner" else PLACEHOLDERS.get(name)
            kept = placeholder if is_component and placeholder is not None else None
            put(item.entity, name, kept)
            item.provenance[name] = {
                "value": kept,
                "review": {
                    "candidate": found.get("value"),
                    "source": found.get("source"),
                    "rule": found.get("rule"),
                    "confidence": confidence,
                    "threshold": required,
                },
                "source": found.get("source"),
                "rule": (
                    f"left for review: the best evidence ({found.get('value')}, {confidence:.2f}) is below the "
                    f"{required:.2f} this source asks for"
                ),
                "confidence": confidence,
                "by": "inference",
                **({"alternatives": found["alternatives"]} if found.get("alternatives") else {}),
            }


def held(ref: str, provenance: Mapping[str, Any]) -> list[HeldField]:
    """The fields of one entity's provenance annotation left for review (not decided by anything written since)."""
    found: list[HeldField] = []
    for name, evidence in sorted((provenance.get("fields") or {}).items()):
        review = evidence.get("review") if isinstance(evidence, dict) else None
        if not isinstance(review, dict):
            continue
        found.append(
            HeldField(
                ref,
                name,
                review.get("candidate"),
                str(review.get("source") or ""),
                str(review.get("rule") or ""),
                float(review.get("confidence") or 0.0),
                float(review.get("threshold") or 0.0),
            )
        )
    return found
