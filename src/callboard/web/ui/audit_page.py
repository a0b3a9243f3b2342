"""The audit log for administrators (``audit.read``): who called which proxy endpoint, who changed the catalog."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from callboard.auth.api import AuditLog, current_access, parse_since
from callboard.web.ui.rendering import Pages


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
        return pages.render(request, "audit.html", rows=rows, user=user, action=action, since=since)

    return router
