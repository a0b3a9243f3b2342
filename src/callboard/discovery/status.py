"""What each discovery source knows, for the Discovery page: its repositories (when each was last read, which
are gone and since when), its entities, those nobody owns, and the fields where what people wrote disagrees with
what the repository shows (drift, to look at: either the descriptor or the evidence is stale)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from callboard.discovery.drift import FieldChange, changes
from callboard.discovery.inference import DEFAULT_OWNER_SOURCE, PROVENANCE
from callboard.discovery.review import HeldField, held
from callboard.discovery.scanner import RunSummary, ScanState

#: Evidence changes listed on the Discovery page: the newest, up to this many.
RECENT_CHANGES = 100


@dataclass(frozen=True)
class Disagreement:
    ref: str
    field: str
    kept: Any
    kept_from: str
    replaced: Any
    replaced_from: str


@dataclass
class SourceStatus:
    source: str
    default_owner: str
    repositories: int = 0
    last_read: float | None = None
    missing: list[tuple[str, float]] = field(default_factory=list)
    entities: int = 0
    unowned: list[str] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    #: Fields below the source's ``minConfidence``, left for a person to decide.
    review: list[HeldField] = field(default_factory=list)
    #: The latest runs, newest first.
    runs: list[RunSummary] = field(default_factory=list)
    #: Fields whose value or evidence changed when their repository was read again, newest first.
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def last_run(self) -> RunSummary | None:
        return self.runs[0] if self.runs else None


def source_status(
    source: str,
    default_owner: str,
    state: ScanState,
    provided: Callable[[str], Sequence[Mapping[str, Any]]],
) -> SourceStatus:
    """``provided(provider_key)`` gives what the source's provider gives the catalog now."""
    status = SourceStatus(source, default_owner)
    stored = state.load(source)
    status.repositories = len(stored)
    seen = [repository.last_seen for repository in stored.values() if repository.last_seen]
    status.last_read = max(seen) if seen else None
    status.missing = sorted(
        (name, repository.missing_since) for name, repository in stored.items() if repository.missing_since
    )
    for entity in provided(f"discovery:{source}"):
        status.entities += 1
        metadata = entity.get("metadata") or {}
        ref = f"{entity.get('kind', '')}:{metadata.get('namespace') or 'default'}/{metadata.get('name', '')}".lower()
        provenance = json.loads((metadata.get("annotations") or {}).get(PROVENANCE) or "{}")
        owner = (provenance.get("fields") or {}).get("spec.owner") or {}
        # Unowned: the owner is the source's default because nothing named one (not a team that happens to be it).
        if entity.get("kind") == "Component" and owner.get("source") == DEFAULT_OWNER_SOURCE:
            status.unowned.append(ref)
        for conflict in provenance.get("conflicts") or []:
            status.disagreements.append(
                Disagreement(
                    ref,
                    str(conflict.get("field")),
                    conflict.get("kept"),
                    str(conflict.get("keptFrom")),
                    conflict.get("replaced"),
                    str(conflict.get("replacedFrom")),
                )
            )
        status.changes += changes(ref, provenance)
        status.review += held(ref, provenance)
    status.unowned.sort()
    status.changes = sorted(status.changes, key=lambda change: -change.at)[:RECENT_CHANGES]
    status.runs = state.runs(source)
    return status
