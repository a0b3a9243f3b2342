"""Entity pages: the header, the Overview tab built from cards, the other tabs, and unregistering.

Cards and tabs come from the plugin hooks (Callboard's own are registered the same way); a card that fails
shows its error in place instead of breaking the page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlencode

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from callboard.catalog.api import SecuredCatalog, ServiceCatalogReader
from callboard.core.errors import NotFoundError
from callboard.core.extensions import EntityCard, EntityContext, EntityTab
from callboard.people.api import Marks
from callboard.web.auth import identity_of
from callboard.web.ui.rendering import Pages, entity_href, entity_ref
from callboard.web.ui.security import require_same_origin

log = logging.getLogger(__name__)


class EntityPages:
    def __init__(
        self,
        catalog: SecuredCatalog,
        pages: Pages,
        cards: Sequence[EntityCard],
        tabs: Sequence[EntityTab],
        services: Mapping[str, Any] | None = None,
        marks: Marks | None = None,
    ) -> None:
        self.services = dict(services or {})
        self.marks = marks
        self.catalog = catalog
        self.pages = pages
        self.cards = list(cards)
        self.tabs = list(tabs)
        self.reader = ServiceCatalogReader(catalog)

    def load(self, namespace: str, kind: str, name: str) -> tuple[dict[str, Any], str]:
        """The entity as this viewer's pages show it (relations to what they may not read removed)."""
        entity = self.catalog.entity_by_name(kind, namespace, name)
        (shown,) = self.catalog.without_hidden_relations([entity])
        return shown, entity_ref(entity)

    def context(self, entity: Mapping[str, Any], ref: str, request: Request, **params: str) -> EntityContext:
        return EntityContext(entity, ref, self.reader, {**request.query_params, **params}, self.services)

    def render_part(self, part: EntityCard | EntityTab, context: EntityContext) -> str:
        """One card's or tab's HTML; its failure becomes a message in its place, logged with the traceback."""
        try:
            values = dict(part.context(context))
            return self.pages.render_text(part.template, entity=context.entity, ref=context.ref, **values)
        except Exception as error:
            log.exception("entity %s %r failed for %s", type(part).__name__.lower(), part.id, context.ref)
            return self.pages.render_text("part_error.html", part=part, error=error)

    def header(self, entity: Mapping[str, Any], ref: str, active: str, request: Request) -> dict[str, Any]:
        """What every tab's header shows; opening any tab counts as a visit for the person's home page."""
        tabs = [tab for tab in self.tabs if tab.applies_to(entity)]
        identity = identity_of(request)
        person = identity.subject if identity.type == "user" and self.marks is not None else ""
        if person and self.marks is not None:
            self.marks.visited(person, ref)
        starred = bool(person) and self.marks is not None and self.marks.is_starred(person, ref)
        return {
            "entity": entity,
            "ref": ref,
            "tabs": tabs,
            "active": active,
            "href": entity_href(entity),
            "can_star": bool(person),
            "is_starred": starred,
        }


#: Cards loaded after their page call other services (CI, incidents, deployments) and may wait on them. They
#: run on threads of their own, so a slow service holds up other such cards but never the catalog and its
#: API, which share the server's few request threads (``web.server.REQUEST_THREADS``).
CARD_THREADS = CapacityLimiter(32)


def entity_router(entity_pages: EntityPages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    pages, catalog = entity_pages.pages, entity_pages.catalog

    @router.get("/catalog/{namespace}/{kind}/{name}", response_class=HTMLResponse)
    def overview(request: Request, namespace: str, kind: str, name: str) -> HTMLResponse:
        entity, ref = entity_pages.load(namespace, kind, name)
        context = entity_pages.context(entity, ref, request)
        cards: list[tuple[EntityCard, str | None]] = []
        for card in entity_pages.cards:
            if card.applies_to(entity):
                cards.append((card, None if card.lazy else entity_pages.render_part(card, context)))
        return pages.render(
            request,
            "entity.html",
            **entity_pages.header(entity, ref, "overview", request),
            main=[{"card": card, "html": html} for card, html in cards if card.area == "main"],
            side=[{"card": card, "html": html} for card, html in cards if card.area == "side"],
            full=[{"card": card, "html": html} for card, html in cards if card.area == "full"],
        )

    def render_later(
        what: str,
        parts: Sequence[EntityCard | EntityTab],
        request: Request,
        namespace: str,
        kind: str,
        name: str,
        part_id: str,
    ) -> HTMLResponse:
        """A lazy card or tab body, loaded after its page."""
        entity, ref = entity_pages.load(namespace, kind, name)
        found = next((part for part in parts if part.id == part_id and part.applies_to(entity)), None)
        if found is None:
            raise NotFoundError(f"The page of {ref} has no {what} {part_id!r}")
        return HTMLResponse(entity_pages.render_part(found, entity_pages.context(entity, ref, request)))

    @router.get("/catalog/{namespace}/{kind}/{name}/cards/{card_id}", response_class=HTMLResponse)
    async def card(request: Request, namespace: str, kind: str, name: str, card_id: str) -> HTMLResponse:
        work = partial(render_later, "card", entity_pages.cards, request, namespace, kind, name, card_id)
        return await to_thread.run_sync(work, limiter=CARD_THREADS)

    @router.get("/catalog/{namespace}/{kind}/{name}/tabs/{tab_id}", response_class=HTMLResponse)
    async def tab_body(request: Request, namespace: str, kind: str, name: str, tab_id: str) -> HTMLResponse:
        """A lazy tab's body (on the card threads too: it may wait on another service)."""
        work = partial(render_later, "tab", entity_pages.tabs, request, namespace, kind, name, tab_id)
        return await to_thread.run_sync(work, limiter=CARD_THREADS)

    @router.get("/catalog/{namespace}/{kind}/{name}/unregister", response_class=HTMLResponse)
    def unregister_form(request: Request, namespace: str, kind: str, name: str) -> HTMLResponse:
        entity, ref = entity_pages.load(namespace, kind, name)
        location = catalog.registered_location_of(kind, namespace, name)
        removed = catalog.location_entities(location["type"], location["target"]) if location else []
        return pages.render(
            request,
            "unregister.html",
            **entity_pages.header(entity, ref, "", request),
            location=location,
            removed=removed,
            readonly=catalog.policy.readonly,
        )

    @router.post("/catalog/{namespace}/{kind}/{name}/unregister", response_class=HTMLResponse)
    def unregister(
        request: Request, namespace: str, kind: str, name: str, action: str = Form(...), csrf_token: str = Form("")
    ) -> Response:
        require_same_origin(request, csrf_token)
        entity, ref = entity_pages.load(namespace, kind, name)
        if action == "location":
            location = catalog.unregister_origin(kind, namespace, name)
            message = f"Unregistered {location['type']}:{location['target']}"
        elif action == "entity":
            catalog.delete_by_uid(str(entity["metadata"]["uid"]))
            message = f"Deleted {ref}"
        else:
            raise NotFoundError(f"Unknown action {action!r}; use location or entity")
        catalog.catch_up()  # the table they land on must not still count what they removed
        return RedirectResponse("/catalog?" + urlencode({"kind": kind.lower(), "notice": message}), status_code=303)

    @router.post("/catalog/{namespace}/{kind}/{name}/refresh", response_class=HTMLResponse)
    def refresh(request: Request, namespace: str, kind: str, name: str, csrf_token: str = Form("")) -> HTMLResponse:
        require_same_origin(request, csrf_token)
        _, ref = entity_pages.load(namespace, kind, name)
        catalog.refresh(ref)
        return HTMLResponse('<span class="notice" role="status">Refresh scheduled; reload in a moment</span>')

    @router.get("/catalog/{namespace}/{kind}/{name}/docs", response_class=HTMLResponse)
    def docs_root(namespace: str, kind: str, name: str) -> Response:
        # A trailing slash, so the relative links inside the docs resolve under it.
        return RedirectResponse(f"/catalog/{namespace}/{kind}/{name}/docs/", status_code=307)

    @router.get("/catalog/{namespace}/{kind}/{name}/docs/{path:path}", response_class=HTMLResponse)
    def docs(request: Request, namespace: str, kind: str, name: str, path: str) -> Response:
        entity, ref = entity_pages.load(namespace, kind, name)
        found = next((t for t in entity_pages.tabs if t.id == "docs" and t.applies_to(entity)), None)
        if found is None:
            raise NotFoundError(f"{ref} has no docs")
        techdocs = entity_pages.services.get("techdocs")
        if techdocs is not None and path.lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico")):
            return FileResponse(techdocs.asset(entity, path))
        html = entity_pages.render_part(found, entity_pages.context(entity, ref, request, path=path))
        return pages.render(request, "entity.html", **entity_pages.header(entity, ref, "docs", request), tab_html=html)

    @router.get("/catalog/{namespace}/{kind}/{name}/{tab_id}", response_class=HTMLResponse)
    def tab(request: Request, namespace: str, kind: str, name: str, tab_id: str) -> HTMLResponse:
        entity, ref = entity_pages.load(namespace, kind, name)
        found = next((t for t in entity_pages.tabs if t.id == tab_id and t.applies_to(entity)), None)
        if found is None:
            raise NotFoundError(f"The page of {ref} has no tab {tab_id!r}")
        if found.lazy:
            query = f"?{request.url.query}" if request.url.query else ""
            html = pages.render_text("lazy_tab.html", src=f"{entity_href(entity)}/tabs/{tab_id}{query}")
        else:
            html = entity_pages.render_part(found, entity_pages.context(entity, ref, request))
        return pages.render(request, "entity.html", **entity_pages.header(entity, ref, tab_id, request), tab_html=html)

    return router
