"""What every source of people reads: Users and Groups as entities, and what it could not make into one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Org:
    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    #: Entries read but not made into entities, each with the reason (no name, a name that is not valid).
    skipped: list[str] = field(default_factory=list)

    @property
    def entities(self) -> list[dict[str, Any]]:
        return [*self.groups, *self.users]
