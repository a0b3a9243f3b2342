"""The face of people's marks: starring entities and remembering visits, per user, shared by replicas."""

from __future__ import annotations

from callboard.people.store import KEEP_VISITS, Marks

__all__ = ["KEEP_VISITS", "Marks"]
