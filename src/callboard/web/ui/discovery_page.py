"""The Discovery page: each source of the inferred catalog, what it read, what it gives, and what to look at."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from callboard.catalog.api import SecuredCatalog, ServiceCatalogReader
from callboard.discovery.api import SourceStatus
from callboard.web.ui.rendering import Pages


def discovery_router(catalog: SecuredCatalog, pages: Pages, status: Callable[[], Sequence[SourceStatus]]) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    reader = ServiceCatalogReader(catalog)

    @router.get("/discovery", response_class=HTMLResponse)
    def discovery_page(request: Request) -> HTMLResponse:
        sources = list(status())
        # Only what this viewer may read: the lists name entities, and an entity hidden from them is not shown.
        wanted = {
            ref
            for source in sources
            for ref in (
                *source.unowned,
                *(d.ref for d in source.disagreements),
                *(c.ref for c in source.changes),
                *(h.ref for h in source.review),
            )
        }
        visible = set(reader.entities(sorted(wanted))) if wanted else set()
        for source in sources:
            source.unowned = [ref for ref in source.unowned if ref in visible]
            source.disagreements = [d for d in source.disagreements if d.ref in visible]
            source.changes = [c for c in source.changes if c.ref in visible]
            source.review = [h for h in source.review if h.ref in visible]
        return pages.render(request, "discovery.html", sources=sources, when=_when)

    return router


def _when(moment: float | None) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "never"
