"""The face of people's marks: starring entities and remembering visits, per user, shared by replicas."""

from __future__ import annotations

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.people.store import KEEP_VISITS, Marks

__all__ = ["KEEP_VISITS", "Marks"]

__getattr__, __dir__ = lazy_face(__name__, __file__)
