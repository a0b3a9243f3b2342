"""PagerDuty v3 webhook deliveries (``incident.triggered`` / ``.acknowledged`` / ``.resolved``) as change
events, placed by the incident's service (``pagerduty.com/service-id``), as PagerDuty documents them under
"V3 Webhooks"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callboard_change_events.ingress import Ignored, Refused, member
from callboard_change_events.model import ChangeEvent, match_key, parse_time

SOURCE = "pagerduty"
_TYPES = {
    "incident.triggered": ("incident-opened", "Incident opened"),
    "incident.acknowledged": ("incident-acknowledged", "Incident acknowledged"),
    "incident.resolved": ("incident-resolved", "Incident resolved"),
}


def parse(payload: Any) -> ChangeEvent:
    event = payload.get("event") if isinstance(payload, Mapping) else None
    if not isinstance(event, Mapping):
        raise Refused(400, 'the body has no event object (a PagerDuty v3 webhook sends {"event": {...}})')
    event_type = str(event.get("event_type") or "")
    if event_type == "pagey.ping":
        raise Ignored("pagey.ping: the webhook reaches Callboard")
    if event_type not in _TYPES:
        raise Ignored(f"{event_type or 'no event_type'}: not a change Callboard records ({', '.join(_TYPES)})")
    incident = member(event, "data")
    service = member(incident, "service")
    agent = member(event, "agent")
    change_type, verb = _TYPES[event_type]
    service_id = str(service.get("id") or "")
    if not event.get("id"):
        raise Refused(400, "event.id is missing")
    priority = member(incident, "priority")
    return ChangeEvent(
        type=change_type,
        source=SOURCE,
        external_id=str(event["id"]),
        time=parse_time(event.get("occurred_at"), "event.occurred_at"),
        title=f"{verb}: #{incident.get('number')} {incident.get('title') or ''}".strip()[:500],
        actor=str(agent.get("summary") or ""),
        url=str(incident.get("html_url") or ""),
        attributes={
            "incident": incident.get("id"),
            "number": incident.get("number"),
            "urgency": incident.get("urgency"),
            "priority": priority.get("summary"),
            "service": service.get("summary"),
            "serviceId": service_id,
        },
        match_keys=(match_key("pagerduty.com/service-id", service_id),) if service_id else (),
    )
