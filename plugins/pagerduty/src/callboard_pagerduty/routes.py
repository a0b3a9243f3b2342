"""The plugin's API, ``/api/pagerduty/``: an entity's PagerDuty overview as JSON, and Trigger incident.

Every call names the entity (``?entity=component:default/booking-service``): the caller must be able to read it
(else 404), and PagerDuty is asked only about the service its annotations name.
"""

from __future__ import annotations

from dataclasses import asdict
from html import escape
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from callboard.sdk import EntityRef, EntityRefError, InputError, NotAllowedError, UpstreamError
from callboard_pagerduty.service import INTEGRATION_KEY, SERVICE_ID, OnCall, matched

#: What a read answers besides 200: the OpenAPI document says so (the fuzzer checks it).
READS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such entity, one the caller may not read, or one without the annotation."},
    502: {"description": "PagerDuty could not be read and nothing was cached."},
}
#: What a write answers besides 202.
WRITES: dict[int | str, dict[str, Any]] = {
    **READS,
    400: {"description": "The request does not fit (the message says which field)."},
    403: {"description": "The caller lacks the permission on this entity."},
}


def api_router(on_call: OnCall) -> APIRouter:
    router = APIRouter()

    def readable(raw: str) -> dict[str, Any]:
        try:
            ref = EntityRef.parse(raw.strip(), default_kind="component").key
        except EntityRefError as error:
            raise HTTPException(404, f"entity: {error}; no entity has that ref") from None
        entity = on_call.context.caller_catalog.entity(ref)
        if entity is None:
            raise HTTPException(404, f"No entity {ref} (or you may not read it)")
        if not matched(entity):
            raise HTTPException(404, f"{ref} has neither {SERVICE_ID} nor {INTEGRATION_KEY}; add one")
        return dict(entity)

    @router.get("/services", responses=READS)
    def service(entity: str) -> dict[str, Any]:
        """The entity's PagerDuty service: on call per escalation level, open incidents, recent changes."""
        fetched = on_call.overview(readable(entity))
        value = fetched.value
        return {
            "service": asdict(value.service) if value else None,
            "onCall": [asdict(level) for level in value.levels] if value else [],
            "incidents": [asdict(incident) for incident in value.incidents] if value else [],
            "changes": [asdict(change) for change in value.changes] if value else [],
            "fetchedAt": fetched.fetched_at,
            "staleSince": fetched.stale_since,
            "problem": fetched.problem or None,
        }

    @router.post("/incidents", status_code=202, responses=WRITES)
    async def create(request: Request, entity: str) -> Response:
        """Trigger an incident (``summary``, ``urgency`` high or low; JSON or a form): needs
        ``pagerduty.incident.create`` on the entity, and its integration key; audited either way."""
        found = readable(entity)
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = await request.json()
            except ValueError:
                raise HTTPException(400, "body: not JSON; send {summary, urgency}") from None
            body = body if isinstance(body, dict) else {}
        else:
            body = dict(await request.form())
        summary, urgency = str(body.get("summary") or ""), str(body.get("urgency") or "high")
        htmx = request.headers.get("hx-request") == "true"
        portal = f"{request.url.scheme}://{request.url.netloc}"
        try:
            dedup = await _in_thread(on_call.trigger, found, summary, urgency, portal)
        except (NotAllowedError, InputError, UpstreamError) as error:
            status = 403 if isinstance(error, NotAllowedError) else 400 if isinstance(error, InputError) else 502
            if htmx:
                return HTMLResponse(
                    f'<p class="notice upstream-problem" role="status">{escape(str(error))}</p>', status
                )
            if isinstance(error, UpstreamError):
                raise HTTPException(502, str(error)) from None
            raise
        if htmx:
            return HTMLResponse(
                '<p class="notice" role="status">Incident triggered: PagerDuty is paging whoever is on call. '
                "It shows below within a minute.</p>",
                202,
            )
        return JSONResponse({"status": "triggered", "dedupKey": dedup, "entity": EntityRef.of(found).key}, 202)

    return router


async def _in_thread(work: Any, *args: Any) -> Any:
    """The trigger calls PagerDuty: off the event loop."""
    return await to_thread.run_sync(lambda: work(*args))
