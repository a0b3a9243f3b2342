"""Registering an existing component (``/catalog-import``): analyse a URL, review what it holds, register.

Like Backstage, only location types allowed by ``catalog.allowedLocationTypes`` (``url`` by default) are
accepted, so a file path typed into this form never reads the server's disk.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from callboard.catalog.api import SecuredCatalog
from callboard.core.errors import InputError, NotAllowedError
from callboard.web.ui.rendering import Pages
from callboard.web.ui.security import require_same_origin


def _location_type(target: str, allowed: tuple[str, ...]) -> str:
    if target.startswith(("https://", "http://")):
        return "url"
    if "file" in allowed:
        return "file"
    raise InputError(
        f"{target!r} is not an http(s) URL. Enter the URL of a catalog-info.yaml file, or of a repository folder "
        "that holds one (operators can allow other location types with catalog.allowedLocationTypes)"
    )


def register_router(catalog: SecuredCatalog, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def form(request: Request, **values: Any) -> HTMLResponse:
        return pages.render(
            request,
            "register.html",
            locations=catalog.registered_locations(),
            readonly=catalog.policy.readonly,
            allowed=catalog.policy.allowed_location_types,
            examples=catalog.policy.example_urls,
            **values,
        )

    @router.get("/catalog-import", response_class=HTMLResponse)
    def register_page(request: Request, url: str = "") -> HTMLResponse:
        return form(request, url=url)

    @router.post("/catalog-import/analyze", response_class=HTMLResponse)
    def analyze(request: Request, url: str = Form(""), csrf_token: str = Form("")) -> HTMLResponse:
        require_same_origin(request, csrf_token)
        target = url.strip()
        if target and not target.endswith((".yaml", ".yml")) and target.startswith(("https://", "http://")):
            target = target.rstrip("/") + "/catalog-info.yaml"
        try:
            if not target:
                raise InputError("Enter the URL of a catalog-info.yaml file")
            location_type = _location_type(target, catalog.policy.allowed_location_types)
            exists, previews = catalog.preview_registration(location_type, target)
        except (InputError, NotAllowedError) as error:
            return pages.render(request, "register_result.html", url=url, error=str(error), status_code=200)
        return pages.render(
            request,
            "register_result.html",
            url=url,
            target=target,
            location_type=location_type,
            exists=exists,
            previews=previews,
            blocked=any(preview.problems for preview in previews),
        )

    @router.post("/catalog-import/register", response_class=HTMLResponse)
    def register(
        request: Request, target: str = Form(...), location_type: str = Form("url"), csrf_token: str = Form("")
    ) -> Response:
        require_same_origin(request, csrf_token)
        result = catalog.add_location(location_type, target, dry_run=False)
        return RedirectResponse(f"/catalog-import/locations/{result['location']['id']}", status_code=303)

    @router.get("/catalog-import/locations/{location_id}", response_class=HTMLResponse)
    def registered(request: Request, location_id: str) -> HTMLResponse:
        """The outcome of a registration; it refreshes itself until the catalog has processed the location."""
        location = catalog.location(location_id)
        found = catalog.location_entities(location["type"], location["target"])
        entities = [entity for entity in found if entity.get("kind") != "Location"]
        pending = catalog.status()["pending"]
        # Done when an entity from the file is in, or when nothing is left to process (an empty file).
        ready = bool(entities) or (bool(found) and pending == 0)
        template = "register_status.html" if request.headers.get("HX-Request") else "registered.html"
        return pages.render(request, template, location=location, entities=entities, pending=pending, ready=ready)

    @router.get("/catalog-import/locations/{location_id}/unregister", response_class=HTMLResponse)
    def unregister_form(request: Request, location_id: str) -> HTMLResponse:
        location = catalog.location(location_id)
        removed = catalog.location_entities(location["type"], location["target"])
        return pages.render(request, "unregister_location.html", location=location, removed=removed)

    @router.post("/catalog-import/locations/{location_id}/unregister", response_class=HTMLResponse)
    def unregister(request: Request, location_id: str, csrf_token: str = Form("")) -> Response:
        require_same_origin(request, csrf_token)
        location = catalog.location(location_id)
        catalog.delete_location(location_id)  # the service refuses locations from app-config, for the API too
        removed = f"{location['type']}:{location['target']}"
        catalog.catch_up()
        return RedirectResponse("/catalog-import?" + urlencode({"removed": removed}), status_code=303)

    return router
