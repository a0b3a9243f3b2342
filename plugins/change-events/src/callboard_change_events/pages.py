"""The pages: the organisation's **Changes**, one change, "what changed before this?", an entity's
**Changes** tab and its **Recent changes** card. Each line links to the change at its source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from callboard.sdk import EntityContext, HomeContext, InputError, NotFoundError
from callboard_change_events import store, timeline
from callboard_change_events.model import INCIDENT_TYPES, TYPES, iso
from callboard_change_events.routes import MAX_ID, query_from
from callboard_change_events.service import ChangeEvents

#: Kinds whose pages show changes: their own, and for containers (system, domain, group) their members'.
KINDS = ("component", "resource", "api", "system", "domain", "group")
WINDOWS = (1, 3, 7, 14, 30, 90)
PAGE = 100
#: Most changes one picture draws (the newest of its window); the list below shows the newest ``PAGE``.
PICTURE = 2000


def has_changes(entity: Mapping[str, Any]) -> bool:
    return str(entity.get("kind", "")).lower() in KINDS


def pages_router(service: ChangeEvents) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    def index(
        request: Request,
        owner: str = "",
        system: str = "",
        domain: str = "",
        type: str = "",
        environment: str = "",
        days: int = Query(default=7, ge=1, le=365),
        fragment: bool = False,
    ) -> HTMLResponse:
        service.require()
        now = service.context.now()
        since = now - days * 86400
        error = ""
        try:
            query = query_from(
                service,
                [],
                owner or None,
                system or None,
                domain or None,
                [type],
                [environment],
                iso(since),
                None,
                PAGE,
                None,
            )
            events, more = service.page(query)
            drawn = service.window(query, PICTURE) if more else events
        except InputError as problem:
            events, drawn, more, error = [], [], False, str(problem)
        _link_incidents(events)
        chosen = {"owner": owner, "system": system, "domain": domain, "type": type, "environment": environment}
        values = {
            "events": events,
            "more": more,
            "picture": timeline.svg(drawn, since=since, until=now, lanes_by=service.settings.timeline_lanes),
            "drawn": len(drawn),
            "picture_full": len(drawn) < PICTURE,
            "chosen": chosen,
            "days": days,
            "windows": WINDOWS,
            "types": TYPES,
            "error": error,
            "stream": "/api/change-events/stream",
            "fragment_href": "/change-events/?" + urlencode({**chosen, "days": days, "fragment": 1}),
        }
        template = "changes_list.html" if fragment else "index.html"
        return service.context.render(request, template, **values)

    @router.get("/events/{event_id}", response_class=HTMLResponse)
    def one(request: Request, event_id: int = PathParam(ge=1, le=MAX_ID)) -> HTMLResponse:
        service.require()
        found = store.one(service.context.database, event_id)
        if found is None or not service.visible([found]):
            raise NotFoundError(f"No change event {event_id}")
        return service.context.render(request, "event.html", event=found, before_href=before_href(found))

    @router.get("/before", response_class=HTMLResponse)
    def before(
        request: Request,
        entity: str,
        at: str = "",
        hours: float = Query(default=0, ge=0, le=24 * 90),
        depth: int = Query(default=-1, ge=-1, le=4),
    ) -> HTMLResponse:
        service.require()
        found = service.correlate(entity, at or None, hours or None, None if depth < 0 else depth)
        items, moment, window = found["items"], float(found["at"]), float(found["hours"])
        for item in items:
            item["before_text"] = duration(item["secondsBefore"])
        picture = timeline.svg(
            items, since=moment - window * 3600, until=moment + window * 3600 * 0.05, lanes_by="entity", marker=moment
        )
        return service.context.render(
            request,
            "before.html",
            ref=found["entityRef"],
            at=iso(moment),
            hours=window,
            depth=found["depth"],
            items=items,
            reached=found["entities"],
            picture=picture,
        )

    return router


def before_href(event: Mapping[str, Any]) -> str | None:
    """The "what changed before this?" link of an event about an entity (incidents, but any moment works)."""
    refs = event.get("entityRefs") or []
    if not refs:
        return None
    return "/change-events/before?" + urlencode({"entity": refs[0], "at": event["time"]})


def tab_context(service: ChangeEvents | None, context: EntityContext) -> Mapping[str, Any]:
    if service is None:
        return {"events": [], "picture": "", "disabled": True}
    params = context.params
    days = _int(params.get("days"), 14, 1, 365)
    change_type = params.get("type", "")
    environment = params.get("environment", "")
    now = service.context.now()
    since = now - days * 86400
    refs = _entity_scope(service, context)
    query = store.Query(
        entity_refs=refs,
        types=[change_type] if change_type else [],
        environments=[environment] if environment else [],
        since=since,
        limit=PAGE,
    )
    events, more = service.page(query, context.catalog)
    drawn = service.window(query, PICTURE, context.catalog) if more else events
    lanes = params.get("lanes") if params.get("lanes") in ("type", "environment") else service.settings.timeline_lanes
    _link_incidents(events)
    return {
        "events": events,
        "more": more,
        "picture": timeline.svg(drawn, since=since, until=now, lanes_by=str(lanes)),
        "days": days,
        "windows": WINDOWS,
        "types": TYPES,
        "chosen": {"type": change_type, "environment": environment, "lanes": lanes},
        "environments": sorted({event["environment"] for event in events if event["environment"]}),
        "scope": len(refs),
        "now_before_href": "/change-events/before?" + urlencode({"entity": context.ref}),
    }


def card_context(service: ChangeEvents | None, context: EntityContext) -> Mapping[str, Any]:
    if service is None:
        return {"events": []}
    now = service.context.now()
    query = store.Query(entity_refs=_entity_scope(service, context), since=now - 30 * 86400, limit=5)
    events, _ = service.page(query, context.catalog)
    return {"events": events, "tab_href": "changes"}


def _entity_scope(service: ChangeEvents, context: EntityContext) -> list[str]:
    kind = str(context.entity.get("kind", "")).lower()
    ref = context.ref.lower()
    if kind == "group":
        return service.scope(owner=ref, system=None, domain=None) or [ref]
    if kind == "system":
        return service.scope(owner=None, system=ref, domain=None) or [ref]
    if kind == "domain":
        return service.scope(owner=None, system=None, domain=ref) or [ref]
    return [ref]


def _link_incidents(events: list[dict[str, Any]]) -> None:
    for event in events:
        event["before_href"] = before_href(event) if event["type"] in INCIDENT_TYPES else None


def duration(seconds: float) -> str:
    """``38 min``, ``22 h``, ``3 days``: how long before, as people say it."""
    minutes = max(0, round(seconds / 60))
    if minutes < 90:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{round(minutes / 60)} h"
    return f"{round(minutes / 1440)} days"


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(raw or default), low), high)
    except ValueError:
        return default


#: What a failed build says in its attributes: GitHub Actions' conclusion, GitLab's pipeline status.
FAILED = {"failure", "failed", "timed_out", "startup_failure"}


def failed(event: Mapping[str, Any]) -> bool:
    attributes = event.get("attributes") or {}
    outcome = str(attributes.get("conclusion") or attributes.get("status") or "").lower()
    return event.get("type") == "build" and outcome in FAILED


def home_context(service: ChangeEvents | None, home: HomeContext) -> Mapping[str, Any]:
    """The home page card: the latest changes to what the person owns, and which of their builds failed last."""
    if service is None or not home.owned:
        return {"events": [], "failing": [], "owned": len(home.owned)}
    now = service.context.now()
    recent = store.Query(entity_refs=list(home.owned), since=now - 7 * 86400, limit=8)
    events, _ = service.page(recent, home.catalog)
    builds = store.Query(entity_refs=list(home.owned), types=["build"], since=now - 7 * 86400, limit=200)
    latest: dict[str, dict[str, Any]] = {}
    for event in service.window(builds, 200, home.catalog):  # newest first: the first seen is the latest
        for ref in event["entityRefs"]:
            latest.setdefault(ref, event)
    failing = sorted(
        ((ref, event) for ref, event in latest.items() if failed(event)), key=lambda item: item[1]["time"], reverse=True
    )
    return {"events": events, "failing": failing, "owned": len(home.owned)}
