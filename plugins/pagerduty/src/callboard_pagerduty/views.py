"""What the On call tab, the service card and the team card show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callboard.sdk import EntityContext
from callboard_pagerduty.service import INTEGRATION_KEY, SERVICE_ID, OnCall, matched

EXAMPLE = f"""metadata:
  annotations:
    {SERVICE_ID}: PBOOK01          # the service's id, from its PagerDuty URL
    {INTEGRATION_KEY}: 6f2e...     # an Events API v2 integration's key: needed to trigger incidents"""


def service_context(on_call: OnCall | None, context: EntityContext) -> Mapping[str, Any]:
    if on_call is None:
        return {"unavailable": True}
    if not matched(context.entity):
        return {"missing": True, "annotation": f"{SERVICE_ID} (or {INTEGRATION_KEY})", "example": EXAMPLE}
    return {
        "overview": on_call.overview(context.entity),
        "may_trigger": on_call.may_trigger(context.entity),
        "has_key": bool(on_call.routing_key(context.entity)),
        "now": on_call.context.now(),
    }


def team_context(on_call: OnCall | None, context: EntityContext) -> Mapping[str, Any]:
    if on_call is None:
        return {"unavailable": True}
    return {"services": on_call.team(context.ref), "now": on_call.context.now()}
