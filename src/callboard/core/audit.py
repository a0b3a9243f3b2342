"""What services need of the audit log: a place to record who did what (``auth.audit.AuditLog`` is one)."""

from __future__ import annotations

from typing import Any, Protocol


class AuditSink(Protocol):
    def record(
        self,
        actor: str,
        action: str,
        target: str,
        *,
        method: str | None = None,
        status: int | None = None,
        size: int | None = None,
        duration_ms: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None: ...
