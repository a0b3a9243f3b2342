"""Times as the APIs write them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
