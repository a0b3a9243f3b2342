"""The API under ``/api/change-events``: ingress (webhooks, CloudEvents, the generic API), queries, one event,
"what changed before this?", and a live stream."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from callboard.sdk import InputError, NotFoundError, current_access
from callboard_change_events import store
from callboard_change_events.ingress import Ignored, Refused, cloudevents, github, gitlab, pagerduty, signatures
from callboard_change_events.model import from_fields, parse_time
from callboard_change_events.permissions import CREATE
from callboard_change_events.service import ChangeEvents, scope_ref

WEBHOOKS = ("/webhooks/github", "/webhooks/gitlab", "/webhooks/pagerduty")
STREAM_POLL_SECONDS = 0.5
MAX_ID = 2**63 - 1


def api_router(service: ChangeEvents) -> APIRouter:
    router = APIRouter()
    settings = service.settings

    # -- ingress ------------------------------------------------------------------------------------------

    @router.post("/webhooks/github")
    async def github_webhook(request: Request) -> JSONResponse:
        async def parse(body: bytes) -> Any:
            signatures.check_github(settings.github.webhook_secret, request.headers.get("x-hub-signature-256"), body)
            return github.parse(
                request.headers.get("x-github-event", ""), request.headers.get("x-github-delivery", ""), _json(body)
            )

        return await _ingest(service, request, "github", parse)

    @router.post("/webhooks/gitlab")
    async def gitlab_webhook(request: Request) -> JSONResponse:
        async def parse(body: bytes) -> Any:
            return gitlab.parse(
                request.headers.get("x-gitlab-event", ""),
                request.headers.get("x-gitlab-event-uuid", ""),
                _json(body),
                now=service.context.now(),
            )

        # The token is checked before the body is read at all.
        try:
            signatures.check_gitlab(settings.gitlab.webhook_token, request.headers.get("x-gitlab-token"))
        except Refused as refused:
            await run_in_threadpool(service.refused, "gitlab", refused.reason, refused.status)
            return _refusal(request, refused)
        return await _ingest(service, request, "gitlab", parse)

    @router.post("/webhooks/pagerduty")
    async def pagerduty_webhook(request: Request) -> JSONResponse:
        async def parse(body: bytes) -> Any:
            signatures.check_pagerduty(
                settings.pagerduty.webhook_secret, request.headers.get("x-pagerduty-signature"), body
            )
            return pagerduty.parse(_json(body))

        return await _ingest(service, request, "pagerduty", parse)

    @router.post("/cloudevents")
    async def cloud_event(request: Request) -> JSONResponse:
        service.require(CREATE)

        async def parse(body: bytes) -> Any:
            return cloudevents.parse(request.headers, body, now=service.context.now())

        return await _ingest(service, request, "cloudevents", parse, signed=False)

    @router.post("")
    async def create(request: Request) -> JSONResponse:
        service.require(CREATE)

        async def parse(body: bytes) -> Any:
            subject = current_access().identity.subject
            return from_fields(_json(body), source=f"api:{subject}", now=service.context.now())

        return await _ingest(service, request, "api", parse, signed=False)

    # -- reading --------------------------------------------------------------------------------------------

    @router.get("/events")
    def events(
        entity: list[str] = Query(default=[]),
        owner: str | None = None,
        system: str | None = None,
        domain: str | None = None,
        type: list[str] = Query(default=[]),
        environment: list[str] = Query(default=[]),
        from_: str | None = Query(default=None, alias="from"),
        to: str | None = None,
        limit: int = Query(default=50, ge=1, le=store.MAX_PAGE),
        cursor: str | None = None,
        unmatched: bool = False,
    ) -> dict[str, Any]:
        service.require()
        query = query_from(
            service, entity, owner, system, domain, type, environment, from_, to, limit, cursor, unmatched
        )
        items, more = service.page(query)
        next_cursor = _cursor(items[-1]) if more and items else None
        return {"items": items, "nextCursor": next_cursor}

    @router.get("/events/{event_id}")
    def one(event_id: int = PathParam(ge=1, le=MAX_ID)) -> dict[str, Any]:
        service.require()
        found = store.one(service.context.database, event_id)
        if found is None or not service.visible([found]):
            raise NotFoundError(f"No change event {event_id}")
        return found

    @router.get("/correlate", responses={404: {"description": "No entity of that ref, or none the caller may read."}})
    def correlate(
        entity: str,
        at: str | None = None,
        hours: float | None = Query(default=None, gt=0, le=24 * 90),
        depth: int | None = Query(default=None, ge=0, le=4),
    ) -> dict[str, Any]:
        service.require()
        return service.correlate(entity, at, hours, depth)

    @router.get("/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
    async def stream(request: Request, entity: list[str] = Query(default=[])) -> StreamingResponse:
        await run_in_threadpool(service.require)
        refs = {scope_ref(item, "component", "entity") for item in entity if item.strip()}
        start = request.headers.get("last-event-id")
        last = (
            int(start)
            if start and start.isdigit()
            else await run_in_threadpool(store.last_id, service.context.database)
        )

        async def changes() -> AsyncIterator[bytes]:
            nonlocal last
            yield b": live change events\n\n"
            while not await request.is_disconnected():
                found = await run_in_threadpool(store.newer_than, service.context.database, last)
                if found:
                    last = int(found[-1]["id"])
                    shown = await run_in_threadpool(service.visible, found)
                    for event in shown:
                        if refs and not refs & set(event["entityRefs"]):
                            continue
                        yield b"id: %s\nevent: change\ndata: %s\n\n" % (event["id"].encode(), orjson.dumps(event))
                    continue
                await asyncio.sleep(STREAM_POLL_SECONDS)

        return StreamingResponse(changes(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    return router


def query_from(
    service: ChangeEvents,
    entity: list[str],
    owner: str | None,
    system: str | None,
    domain: str | None,
    types: list[str],
    environments: list[str],
    since: str | None,
    until: str | None,
    limit: int,
    cursor: str | None,
    unmatched: bool = False,
) -> store.Query:
    """The store's query from the API's (and the pages') parameters; a bad one is a 400 naming it."""
    refs = service.scope(owner=owner or None, system=system or None, domain=domain or None)
    entity = [item for item in entity if item.strip()]
    if entity:
        named = [scope_ref(item, "component", "entity") for item in entity]
        refs = named if refs is None else [ref for ref in named if ref in set(refs)]
    return store.Query(
        entity_refs=refs,
        types=[item for item in types if item],
        environments=[item for item in environments if item],
        since=parse_time(since, "from") if since else None,
        until=parse_time(until, "to") if until else None,
        limit=limit,
        after=_after(cursor) if cursor else None,
        unmatched_only=unmatched,
    )


async def _ingest(
    service: ChangeEvents,
    request: Request,
    source: str,
    parse: Callable[[bytes], Any],
    *,
    signed: bool = True,
) -> JSONResponse:
    """Read, parse, check and store one delivery. Signed webhooks are held to the replay window; writes by a
    token's holder (CloudEvents, the API) are audited as theirs."""
    try:
        body = await _body(request, service.settings.max_body_bytes)
        event = await parse(body)
        outcome = await run_in_threadpool(partial(service.record, event, replay_checked=signed))
    except Ignored as ignored:
        return JSONResponse({"ignored": str(ignored)}, status_code=202)
    except Refused as refused:
        await run_in_threadpool(service.refused, source, refused.reason, refused.status)
        return _refusal(request, refused)
    except InputError as error:
        await run_in_threadpool(service.refused, source, str(error), 400)
        return _refusal(request, Refused(400, str(error)))
    if not signed and outcome.created:
        detail = {"id": outcome.event_id, "type": event.type, "externalId": event.external_id}
        await run_in_threadpool(service.context.audit, "change-events.create", event.source, "ok", detail)
    return JSONResponse(outcome.answer(), status_code=201 if outcome.created else 200)


async def _body(request: Request, limit: int) -> bytes:
    """The body, refused past ``limit`` bytes before more is read (a sender cannot fill the memory)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"the body is {declared} bytes; at most {limit} (changeEvents.maxBodyBytes)")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"the body is over {limit} bytes (changeEvents.maxBodyBytes)")
        parts.append(chunk)
    return b"".join(parts)


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise Refused(400, f"the body is not JSON: {error}") from None


def _refusal(request: Request, refused: Refused) -> JSONResponse:
    """Backstage's error body, as the portal's other errors have it."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return JSONResponse(
        {
            "error": {"name": "RefusedDelivery", "message": refused.reason},
            "request": {"method": request.method, "url": target},
            "response": {"statusCode": refused.status},
        },
        status_code=refused.status,
    )


def _cursor(event: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": int(event["id"])})).decode().rstrip("=")


def _after(cursor: str) -> int:
    try:
        return int(orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["after"])
    except (binascii.Error, orjson.JSONDecodeError, TypeError, ValueError, KeyError):
        raise InputError("cursor: not a cursor this API gave; start again without it") from None
