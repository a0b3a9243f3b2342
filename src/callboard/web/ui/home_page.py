"""The home page: what the signed-in person owns, has starred, visited last and started, then plugins' cards.

Stars are set from entity pages and catalog rows (``POST /ui/stars``); visits are remembered as entity pages
are opened. Both are per person and kept in the database, so every replica shows the same home page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callboard.catalog.api import SecuredCatalog, ServiceCatalogReader
from callboard.core.entity import EntityRef, EntityRefError
from callboard.core.errors import InputError, NotFoundError
from callboard.core.extensions import HomeCard, HomeContext
from callboard.core.identity import Identity
from callboard.people.api import Marks
from callboard.web.auth import identity_of
from callboard.web.ui.entity_page import CARD_THREADS
from callboard.web.ui.rendering import Pages, entity_href
from callboard.web.ui.security import require_same_origin

log = logging.getLogger(__name__)

#: Owned entities looked at for the home page; a team owning more sees the first ones by name and a count.
OWNED_LIMIT = 500


def owned_entities(reader: ServiceCatalogReader, identity: Identity) -> list[Mapping[str, Any]]:
    """What the person owns, directly or through their groups and those groups' parents, by kind then name."""
    owners = sorted({ref.lower() for ref in identity.ownership})
    if identity.type != "user" or not owners:
        return []
    return reader.find({"relations.ownedby": owners}, limit=OWNED_LIMIT)


def by_kind(entities: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for entity in entities:
        grouped.setdefault(str(entity.get("kind")), []).append(entity)
    order = ["Component", "API", "System", "Domain", "Resource"]
    return sorted(grouped.items(), key=lambda item: (order.index(item[0]) if item[0] in order else 99, item[0]))


def home_router(
    catalog: SecuredCatalog,
    pages: Pages,
    marks: Marks | None,
    tasks: Any,
    cards: Sequence[HomeCard],
    services: Mapping[str, Any],
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    reader = ServiceCatalogReader(catalog)

    def context(request: Request, owned: Sequence[Mapping[str, Any]]) -> HomeContext:
        identity = identity_of(request)
        refs = [EntityRef.of(dict(entity)).key for entity in owned]
        return HomeContext(identity.subject, identity.display_name, refs, reader, services)

    def render_card(card: HomeCard, home: HomeContext) -> str:
        try:
            values = dict(card.context(home))
            return pages.render_text(card.template, home=home, **values)
        except Exception as error:
            log.exception("home card %r failed for %s", card.id, home.user)
            return pages.render_text("part_error.html", part=card, error=error)

    @router.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        identity = identity_of(request)
        owned = owned_entities(reader, identity)
        user = identity.subject if identity.type == "user" else ""
        starred_refs = marks.starred(user) if marks and user else []
        starred = reader.entities(starred_refs)
        visits = marks.recent(user, 8) if marks and user else []
        visited = reader.entities([ref for ref, _ in visits])
        mine = tasks.list_tasks(created_by=identity.subject, statuses=[], limit=6, offset=0) if tasks else None
        eager = [(card, render_card(card, context(request, owned))) for card in cards if not card.lazy]
        lazy = [(card, None) for card in cards if card.lazy]
        return pages.render(
            request,
            "home.html",
            me=identity,
            owned=by_kind(owned),
            owned_total=len(owned),
            owned_limit=OWNED_LIMIT,
            starred=[starred[ref] for ref in starred_refs if ref in starred],  # newest first; gone ones left out
            visited=[(visited[ref], at) for ref, at in visits if ref in visited],
            tasks=(mine or {}).get("tasks", []),
            cards=sorted(eager + lazy, key=lambda item: (item[0].weight, item[0].id)),
            now=time.time(),
        )

    def render_later(request: Request, card_id: str) -> HTMLResponse:
        found = next((card for card in cards if card.id == card_id), None)
        if found is None:
            raise NotFoundError(f"The home page has no card {card_id!r}")
        owned = owned_entities(reader, identity_of(request))
        return HTMLResponse(render_card(found, context(request, owned)))

    @router.get("/home/cards/{card_id}", response_class=HTMLResponse)
    async def home_card(request: Request, card_id: str) -> HTMLResponse:
        return await to_thread.run_sync(partial(render_later, request, card_id), limiter=CARD_THREADS)

    @router.post("/ui/stars", response_class=HTMLResponse)
    def star(
        request: Request,
        ref: str = Form(...),
        starred: bool | None = Form(None),
        compact: bool = Form(False),
        back: str = Form(""),
        csrf_token: str = Form(""),
    ) -> Response:
        """Star or unstar (no ``starred``: toggle) an entity for the signed-in person; answers the button in its new
        state, or sends a page without scripts back where it was."""
        require_same_origin(request, csrf_token)
        identity = identity_of(request)
        if identity.type != "user" or marks is None:
            raise InputError("Only people can star entities (a service token has no home page)")
        try:
            key = EntityRef.parse(ref).key
        except EntityRefError as error:
            raise InputError(f"ref: {error}") from None
        if reader.entity(key) is None:
            raise NotFoundError(f"No entity {key}")
        wanted = not marks.is_starred(identity.subject, key) if starred is None else starred
        marks.star(identity.subject, key, wanted)
        if request.headers.get("HX-Request") != "true" or request.headers.get("HX-Boosted") == "true":
            # Only a path of this portal: a posted "back" never sends the browser elsewhere.
            target = back if back.startswith("/") and not back.startswith("//") else entity_href(key)
            return RedirectResponse(target, status_code=303)
        return pages.render(request, "star_button.html", star_ref=key, is_starred=wanted, compact=compact)

    return router
