"""What the On call tab, the cards and the API ask for: PagerDuty's answers shared between viewers, and Trigger
incident behind the per-entity permission, sent with the service's integration key only."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from callboard.sdk import (
    EntityRef,
    Fetched,
    InputError,
    NotAllowedError,
    PluginContext,
    UpstreamCache,
    UpstreamError,
    current_identity,
    decide_for_entity,
)
from callboard_pagerduty.pagerduty import ACCEPT, Change, Incident, PagerDutyApi, Service, Shift, trigger
from callboard_pagerduty.permissions import CREATE
from callboard_pagerduty.settings import Settings

SERVICE_ID = "pagerduty.com/service-id"
INTEGRATION_KEY = "pagerduty.com/integration-key"
#: PagerDuty's limit on an event's summary.
SUMMARY_LIMIT = 1024
#: Services shown on a team's page (each is one cached overview).
TEAM_SERVICES = 20


def annotations_of(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    return entity.get("metadata", {}).get("annotations") or {}


def matched(entity: Mapping[str, Any]) -> bool:
    found = annotations_of(entity)
    return bool(found.get(SERVICE_ID) or found.get(INTEGRATION_KEY))


@dataclass(frozen=True)
class Level:
    level: int
    now: Shift | None
    next: Shift | None


@dataclass(frozen=True)
class Overview:
    service: Service
    levels: list[Level]
    incidents: list[Incident]
    changes: list[Change]


class OnCall:
    def __init__(self, context: PluginContext) -> None:
        self.context = context
        self.settings: Settings = context.config
        self.cache = UpstreamCache(ttl_seconds=self.settings.cache_seconds, clock=context.now)

    def _rest(self) -> httpx.Client:
        if not self.settings.api_token:
            raise UpstreamError("pagerDuty.apiToken is not set: add a read-only REST API key", credentials=True)
        headers = {"Authorization": f"Token token={self.settings.api_token}", "Accept": ACCEPT}
        return self.context.vendor_client("pagerduty", self.settings.api_base_url, headers)

    def check_credential(self) -> None:
        with self._rest() as http:
            PagerDutyApi(http).abilities()

    def overview(self, entity: Mapping[str, Any]) -> Fetched[Overview]:
        found = annotations_of(entity)
        service_id, key = str(found.get(SERVICE_ID) or ""), str(found.get(INTEGRATION_KEY) or "")
        now, days = self.context.now(), self.settings.on_call_days

        def fetch() -> Overview:
            with self._rest() as http:
                api = PagerDutyApi(http)
                service = api.service(service_id) if service_id else api.service_by_integration_key(key)
                # The other three depend only on the service: asked at once, so a first view waits two calls.
                with ThreadPoolExecutor(3) as pool:
                    shifts = pool.submit(api.on_call, service.policy_id, now, now + days * 86400)
                    incidents = pool.submit(api.open_incidents, service.id)
                    changes = pool.submit(api.changes, service.id)
                    return Overview(service, _levels(shifts.result(), now), incidents.result(), changes.result())

        return self.cache.get(f"service:{service_id}" if service_id else f"key:{key}", fetch)

    def team(self, group_ref: str) -> list[tuple[Mapping[str, Any], Fetched[Overview]]]:
        """The group's services that PagerDuty knows, each with its overview."""
        owned = self.context.caller_catalog.find({"relations.ownedBy": group_ref}, limit=500)
        services = [entity for entity in owned if matched(entity)][:TEAM_SERVICES]
        return [(entity, self.overview(entity)) for entity in services]

    # -- the one write ----------------------------------------------------------------------------------------

    def routing_key(self, entity: Mapping[str, Any]) -> str:
        """The Events API v2 key incidents are sent with: the annotation's, else the server's for the service."""
        found = annotations_of(entity)
        key = str(found.get(INTEGRATION_KEY) or "")
        return key or self.settings.integration_keys.get(str(found.get(SERVICE_ID) or ""), "")

    def may_trigger(self, entity: Mapping[str, Any]) -> bool:
        return bool(self.routing_key(entity)) and decide_for_entity(CREATE, entity).allowed

    def trigger(self, entity: Mapping[str, Any], summary: str, urgency: str, portal_url: str) -> str:
        """Open an incident on the entity's PagerDuty service for a caller granted ``pagerduty.incident.create``
        on it; PagerDuty's dedup key."""
        ref = EntityRef.of(dict(entity)).key
        decision = decide_for_entity(CREATE, entity)
        who = current_identity()
        subject = who.subject if who else "unknown"
        if not decision.allowed:
            self.context.audit(CREATE, ref, "denied", {"reason": decision.reason})
            raise NotAllowedError(f"{CREATE} is not granted to {subject} on {ref}")
        summary = " ".join(summary.split())
        if not summary:
            raise InputError("summary: say what is wrong in a sentence; the on-call person reads it first")
        if len(summary) > SUMMARY_LIMIT:
            raise InputError(f"summary: {len(summary)} characters; PagerDuty takes at most {SUMMARY_LIMIT}")
        if urgency not in ("high", "low"):
            raise InputError("urgency: high (pages now) or low (during working hours)")
        key = self.routing_key(entity)
        if not key:
            raise InputError(
                f"{ref} has no {INTEGRATION_KEY} annotation (nor a key in pagerDuty.integrationKeys for its service): "
                "incidents are triggered with it"
            )
        event = {
            "payload": {
                "summary": summary,
                "source": f"Callboard: {ref}",
                "severity": "critical" if urgency == "high" else "warning",
                "component": str(entity["metadata"]["name"]),
                "custom_details": {"triggered by": subject, "entity": ref},
            },
            "client": "Callboard",
            "client_url": portal_url,
        }
        try:
            with self.context.vendor_client("pagerduty-events", self.settings.events_base_url) as events:
                dedup = trigger(events, key, event)
        except (UpstreamError, httpx.HTTPError) as error:
            self.context.audit(CREATE, ref, "failed", {"summary": summary, "problem": str(error)})
            raise UpstreamError(str(error)) from None
        self.context.audit(CREATE, ref, "ok", {"summary": summary, "urgency": urgency, "dedupKey": dedup})
        service_id, annotated_key = annotations_of(entity).get(SERVICE_ID), annotations_of(entity).get(INTEGRATION_KEY)
        self.cache.forget(f"service:{service_id}" if service_id else f"key:{annotated_key}")
        return dedup


def _levels(shifts: list[Shift], now: float) -> list[Level]:
    """Per escalation level: who is on call now, and who takes over next."""
    levels = []
    for number in sorted({shift.level for shift in shifts}):
        mine = sorted((s for s in shifts if s.level == number), key=lambda s: s.start or 0.0)
        current = next((s for s in mine if (s.start or 0.0) <= now < (s.end or float("inf"))), mine[0])
        later = [s for s in mine if (s.start or 0.0) >= (current.end or float("inf"))]
        upcoming = next((s for s in later if s.person != current.person), later[0] if later else None)
        levels.append(Level(number, current, upcoming))
    return levels
