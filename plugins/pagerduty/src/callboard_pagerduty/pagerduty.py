"""The PagerDuty calls the plugin makes, and their answers as small records.

REST API v2 (read-only key): ``GET /services/{id}`` or ``GET /services?query=<integration key>`` (with
``include[]=integrations`` and ``include[]=escalation_policies``), ``GET /oncalls`` for the service's escalation
policy over a window, ``GET /incidents`` (triggered and acknowledged), ``GET /services/{id}/change_events``,
``GET /abilities`` (the health check). Events API v2: ``POST /enqueue`` with the integration key (the one write).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from callboard.sdk import UpstreamError, check_response

T = TypeVar("T")
VENDOR = "PagerDuty"
ACCEPT = "application/vnd.pagerduty+json;version=2"


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    url: str
    policy_id: str
    policy_name: str
    policy_url: str
    status: str


@dataclass(frozen=True)
class Shift:
    level: int
    person: str
    email: str
    url: str
    start: float | None
    end: float | None


@dataclass(frozen=True)
class Incident:
    id: str
    number: int
    title: str
    status: str
    urgency: str
    created: float | None
    url: str
    assignees: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    summary: str
    time: float | None
    source: str
    url: str


class PagerDutyApi:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def _get(self, path: str, params: Any = None) -> Any:
        response = self.client.get(path, params=params, headers={"Accept": ACCEPT})
        body = check_response(response, VENDOR).json()
        if not isinstance(body, Mapping):
            raise UpstreamError(f"{VENDOR} answered something other than an object; is apiBaseUrl its REST API?")
        return body

    def service(self, service_id: str) -> Service:
        params = [("include[]", "escalation_policies"), ("include[]", "integrations"), ("time_zone", "UTC")]
        return _parsed(_service, self._get(f"/services/{service_id}", params).get("service"))

    def service_by_integration_key(self, key: str) -> Service:
        params = [("query", key), ("include[]", "integrations"), ("include[]", "escalation_policies")]
        services = self._get("/services", params).get("services") or []
        # The query matches names too: keep the service one of whose integrations has this key.
        found = [s for s in services if any(i.get("integration_key") == key for i in s.get("integrations") or [])]
        if not found:
            raise UpstreamError(f"{VENDOR} has no service with an integration of this key (check the annotation)")
        return _parsed(_service, found[0])

    def on_call(self, policy_id: str, since: float, until: float) -> list[Shift]:
        params = [
            ("escalation_policy_ids[]", policy_id),
            ("include[]", "users"),
            ("since", _iso(since)),
            ("until", _iso(until)),
            ("time_zone", "UTC"),
            ("limit", "100"),
        ]
        return [_parsed(_shift, item) for item in self._get("/oncalls", params).get("oncalls") or []]

    def open_incidents(self, service_id: str) -> list[Incident]:
        params = [
            ("service_ids[]", service_id),
            ("statuses[]", "triggered"),
            ("statuses[]", "acknowledged"),
            ("sort_by", "created_at:desc"),
            ("time_zone", "UTC"),
            ("limit", "50"),
        ]
        return [_parsed(_incident, item) for item in self._get("/incidents", params).get("incidents") or []]

    def changes(self, service_id: str) -> list[Change]:
        body = self._get(f"/services/{service_id}/change_events", [("limit", "20"), ("time_zone", "UTC")])
        return [_parsed(_change, item) for item in body.get("change_events") or []]

    def abilities(self) -> None:
        self._get("/abilities")


def trigger(events: httpx.Client, routing_key: str, event: Mapping[str, Any]) -> str:
    """Send a trigger through the Events API v2; PagerDuty's dedup key for it."""
    response = events.post("/enqueue", json={"routing_key": routing_key, "event_action": "trigger", **event})
    if response.status_code == 400:
        try:
            errors = "; ".join(str(e) for e in response.json().get("errors") or [])
        except ValueError:
            errors = response.text[:200]
        raise UpstreamError(f"{VENDOR} refused the event: {errors or 'invalid event'}")
    body = check_response(response, VENDOR).json()
    return str(body.get("dedup_key") or "")


def _parsed(parse: Callable[[Any], T], item: Any) -> T:
    try:
        return parse(item)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise UpstreamError(f"{VENDOR} answered in a shape the plugin does not read ({type(error).__name__})") from None


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(raw: Any) -> float | None:
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp() if raw else None


def _service(item: Mapping[str, Any]) -> Service:
    policy = item.get("escalation_policy") or {}
    return Service(
        str(item["id"]),
        str(item.get("name") or item.get("summary") or item["id"]),
        str(item.get("html_url") or ""),
        str(policy["id"]),
        str(policy.get("name") or policy.get("summary") or ""),
        str(policy.get("html_url") or ""),
        str(item.get("status") or ""),
    )


def _shift(item: Mapping[str, Any]) -> Shift:
    user = item.get("user") or {}
    return Shift(
        int(item["escalation_level"]),
        str(user.get("name") or user.get("summary") or "someone"),
        str(user.get("email") or ""),
        str(user.get("html_url") or ""),
        _time(item.get("start")),
        _time(item.get("end")),
    )


def _incident(item: Mapping[str, Any]) -> Incident:
    assignees = tuple(
        str((a.get("assignee") or {}).get("summary") or "") for a in item.get("assignments") or [] if a.get("assignee")
    )
    return Incident(
        str(item["id"]),
        int(item.get("incident_number") or 0),
        str(item.get("title") or item.get("summary") or ""),
        str(item["status"]),
        str(item.get("urgency") or ""),
        _time(item.get("created_at")),
        str(item.get("html_url") or ""),
        assignees,
    )


def _change(item: Mapping[str, Any]) -> Change:
    links = item.get("links") or []
    return Change(
        str(item.get("summary") or ""),
        _time(item.get("timestamp")),
        str(item.get("source") or ""),
        str(links[0].get("href") or "") if links and isinstance(links[0], Mapping) else "",
    )
