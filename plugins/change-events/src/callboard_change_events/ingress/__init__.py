"""From each provider's webhook or message format to change events; signatures checked before anything is read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Ignored(Exception):
    """A delivery that is valid but records no change; answered 202 with the reason."""


class Refused(Exception):
    """A delivery refused: ``status`` 401 (signature or token) or 400 (the body), with the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def member(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``payload[key]`` when it is an object, else an empty one: a payload missing a part reads as blanks."""
    value = payload.get(key)
    return value if isinstance(value, Mapping) else {}
