"""Administration pages: the installed plugins (what each adds) and the scheduled tasks (last runs, run now)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callboard.auth.api import current_access
from callboard.core.errors import NotFoundError
from callboard.scheduler.api import Scheduler
from callboard.web.auth import verify_csrf
from callboard.web.ui.rendering import Pages

HEALTH_THREADS = CapacityLimiter(8)


def admin_router(
    pages: Pages,
    inventory: Callable[[], Sequence[Any]],
    scheduler: Scheduler | None,
    health: Callable[[str], Sequence[Any]] = lambda plugin: (),
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/admin/plugins", response_class=HTMLResponse)
    def plugins_page(request: Request) -> HTMLResponse:
        return pages.render(request, "admin_plugins.html", plugins=list(inventory()))

    @router.get("/admin/plugins/{plugin}/health", response_class=HTMLResponse)
    async def plugin_health(plugin: str) -> HTMLResponse:
        # Checks call vendors: on threads of their own, so a slow one never holds the request threads.
        reports = await to_thread.run_sync(health, plugin, limiter=HEALTH_THREADS)
        return HTMLResponse(pages.render_text("admin_plugin_health.html", reports=reports))

    @router.get("/admin/tasks", response_class=HTMLResponse)
    def tasks_page(request: Request) -> HTMLResponse:
        statuses = scheduler.status() if scheduler is not None else []
        may_run = scheduler is not None and scheduler.may_trigger(current_access())
        return pages.render(request, "admin_tasks.html", tasks=statuses, when=_when, may_run=may_run)

    @router.post("/admin/tasks/run")
    def run_task(request: Request, task: str = Form(...), csrf_token: str = Form("")) -> Response:
        verify_csrf(request, csrf_token)
        if scheduler is None:
            raise NotFoundError("This portal runs no scheduled tasks")
        scheduler.trigger(task, current_access())
        return RedirectResponse("/admin/tasks", status_code=303)

    return router


def _when(moment: float | None) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""
