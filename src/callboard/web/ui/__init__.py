"""The portal's pages: server-rendered HTML (Jinja2), enhanced by htmx, with no asset from a CDN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from callboard.catalog.api import SecuredCatalog
from callboard.core.extensions import EntityCard, EntityTab, HomeCard, NavItem
from callboard.core.highlight import stylesheet
from callboard.people.api import Marks
from callboard.web.ui.catalog_page import catalog_router
from callboard.web.ui.create_page import create_router
from callboard.web.ui.entity_page import EntityPages, entity_router
from callboard.web.ui.home_page import home_router
from callboard.web.ui.problems_page import problems_router
from callboard.web.ui.profile_page import profile_router
from callboard.web.ui.register_page import register_router
from callboard.web.ui.rendering import STATIC_DIR, Pages
from callboard.web.ui.search_page import search_router
from callboard.web.ui.security import SecurityHeaders, content_security_policy, policy_directives


def install_portal(
    app: FastAPI,
    catalog: SecuredCatalog,
    *,
    title: str,
    cards: Sequence[EntityCard],
    tabs: Sequence[EntityTab],
    nav: Sequence[NavItem],
    scaffolder: Any = None,
    tasks: Any = None,
    services: dict[str, Any] | None = None,
    plugin_templates: Mapping[str, str] | None = None,
    home_cards: Sequence[HomeCard] = (),
    marks: Marks | None = None,
    csp: Mapping[str, Sequence[str] | bool] | None = None,
) -> Pages:
    """Mount the pages, their static files and the security headers on ``app``; returns the renderer."""
    parts: list[EntityCard | EntityTab | HomeCard] = [*cards, *tabs, *home_cards]
    template_dirs = sorted({part.template_dir for part in parts if part.template_dir})
    directives = policy_directives(csp)
    pages = Pages(title, nav, template_dirs, plugin_templates, image_sources=directives.get("img-src", ()))
    app.add_middleware(SecurityHeaders, policy=content_security_policy(directives))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    highlight_css = stylesheet()

    extras = APIRouter(include_in_schema=False)

    @extras.get("/ui/highlight.css")
    def highlight_stylesheet() -> Response:
        return Response(highlight_css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    app.include_router(extras)
    app.include_router(home_router(catalog, pages, marks, tasks, home_cards, services or {}))
    app.include_router(catalog_router(catalog, pages, marks))
    app.include_router(register_router(catalog, pages))
    app.include_router(problems_router(catalog, pages))
    app.include_router(profile_router(catalog, pages))
    if scaffolder is not None and tasks is not None:
        app.include_router(create_router(catalog, scaffolder, tasks, pages))
    app.include_router(search_router(catalog, (services or {}).get("search"), pages))
    app.include_router(entity_router(EntityPages(catalog, pages, cards, tabs, services, marks)))
    return pages
