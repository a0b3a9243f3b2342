"""Administration pages: the installed plugins (what each adds) and the scheduled tasks (last runs, run now)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callboard.auth.api import current_access
from callboard.core.errors import NotAllowedError
from callboard.core.permissions import SCHEDULER_TASK_RUN
from callboard.scheduler.api import Scheduler
from callboard.web.auth import verify_csrf
from callboard.web.ui.rendering import Pages


def admin_router(pages: Pages, inventory: Callable[[], Sequence[Any]], scheduler: Scheduler | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/admin/plugins", response_class=HTMLResponse)
    def plugins_page(request: Request) -> HTMLResponse:
        return pages.render(request, "admin_plugins.html", plugins=list(inventory()))

    @router.get("/admin/tasks", response_class=HTMLResponse)
    def tasks_page(request: Request) -> HTMLResponse:
        statuses = scheduler.status() if scheduler is not None else []
        may_run = current_access().decide(SCHEDULER_TASK_RUN).allowed
        return pages.render(request, "admin_tasks.html", tasks=statuses, when=_when, may_run=may_run)

    @router.post("/admin/tasks/run")
    def run_task(request: Request, task: str = Form(...), csrf_token: str = Form("")) -> Response:
        verify_csrf(request, csrf_token)
        access = current_access()
        if not access.decide(SCHEDULER_TASK_RUN).allowed:
            raise NotAllowedError(f"{access.identity.subject} may not run scheduled tasks ({SCHEDULER_TASK_RUN})")
        if scheduler is not None:
            scheduler.trigger(task, by=access.identity.subject)
        return RedirectResponse("/admin/tasks", status_code=303)

    return router


def _when(moment: float | None) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""
