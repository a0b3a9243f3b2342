"""The audit log for administrators (``audit.read``): who called which proxy endpoint, who changed the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from callboard.auth.api import AuditLog, current_access, parse_since
from callboard.web.ui.rendering import Pages

#: Actions the portal itself records; plugins add their own (``github-actions.run.rerun``).
KNOWN_ACTIONS = (
    "proxy.request",
    "catalog.location.create",
    "catalog.location.delete",
    "catalog.location.refresh",
    "catalog.entity.delete",
    "catalog.entity.refresh",
)


def result_of(row: Mapping[str, Any]) -> str:
    """One cell saying how it went: a proxied call's method, status, size and time; else its outcome or details."""
    if row.get("method"):
        parts = [f"{row['method']} {row['status'] if row.get('status') is not None else '—'}"]
        if row.get("bytes") is not None:
            parts.append(f"{row['bytes']:,} bytes")
        if row.get("duration_ms") is not None:
            parts.append(f"{row['duration_ms']} ms")
        return " · ".join(parts)
    details = dict(row.get("details") or {})
    outcome = details.pop("outcome", None)
    via = details.pop("via", None)
    shown = [str(outcome)] if outcome else ["done"]
    if via:
        shown.append(f"by a {via} task" if via == "scaffolder" else f"via {via}")
    shown += [f"{key}: {value}" for key, value in details.items()]
    return " · ".join(shown)


def audit_router(audit: AuditLog, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/admin/audit", response_class=HTMLResponse)
    def audit_page(request: Request, user: str = "", action: str = "", since: str = "24h") -> HTMLResponse:
        rows = audit.read(
            current_access(),
            actor=user or None,
            actions=[action] if action else [],
            since=parse_since(since),
            limit=500,
        )
        for row in rows:
            row["when"] = datetime.fromtimestamp(row["at"], UTC).strftime("%Y-%m-%d %H:%M:%S")
            row["result"] = result_of(row)
        known = sorted({*KNOWN_ACTIONS, *(str(row["action"]) for row in rows)})
        return pages.render(
            request, "audit.html", rows=rows, user=user, action=action, since=since, known_actions=known
        )

    return router
