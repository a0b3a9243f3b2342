"""PagerDuty's REST API v2 and Events API v2 as the PagerDuty plugin uses them: services (by id, or found by an
integration key with ``query``), escalation policies, on-calls over a window, open incidents, a service's change
events, ``/abilities`` (what a credential may do), and ``POST /v2/enqueue`` that opens an incident on the service
whose Events API v2 integration has the routing key. Payloads follow developer.pagerduty.com's examples.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callboard.standins.base import Handler, Vendor, error, iso

HTML = "https://northwind.pagerduty.com"
DAY = 86400.0


@dataclass
class Person:
    id: str
    name: str
    email: str


@dataclass
class Level:
    """An escalation level: its people take turns, each for ``shift_hours``."""

    people: list[Person]
    shift_hours: float = 24.0


@dataclass
class Incident:
    id: str
    number: int
    title: str
    status: str
    urgency: str
    created: float
    service: str
    assignee: Person | None = None


@dataclass
class Service:
    id: str
    name: str
    policy: str
    integration_key: str = ""
    description: str = ""
    change_events: list[dict[str, Any]] = field(default_factory=list)


class PagerDuty(Vendor):
    name = "pagerduty"

    def __init__(self) -> None:
        super().__init__()
        self.services: dict[str, Service] = {}
        self.policies: dict[str, tuple[str, list[Level]]] = {}
        self.incidents: list[Incident] = []
        #: Events API v2 bodies received, in order (the tests read what was sent).
        self.events: list[dict[str, Any]] = []
        self.epoch = 1_700_006_400.0  # rotations are counted from a fixed Monday, so "now" decides who is on call

    def credential(self, request: Request) -> str:
        value = request.headers.get("authorization", "")
        return value.removeprefix("Token token=")

    def unauthorised(self) -> Response:
        return error(401, {"error": {"message": "Unauthorized", "code": 2006}})

    def limited(self) -> Response:
        wait = int(self.limited_until - self.clock()) + 1
        body = {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
        return JSONResponse(body, status_code=429, headers={"Retry-After": str(wait)})

    # -- set-up -------------------------------------------------------------------------------------------------

    def add_policy(self, policy_id: str, name: str, levels: list[Level]) -> None:
        self.policies[policy_id] = (name, levels)

    def add_service(self, service: Service) -> Service:
        self.services[service.id] = service
        return service

    def open_incident(
        self, service_id: str, title: str, urgency: str = "high", status: str = "triggered", age_seconds: float = 600.0
    ) -> Incident:
        with self.lock:
            number = 1000 + len(self.incidents) + 1
            incident = Incident(
                f"Q{number:06d}", number, title, status, urgency, self.clock() - age_seconds, service_id
            )
            _, levels = self.policies.get(self.services[service_id].policy, ("", []))
            if levels:
                incident.assignee = self._on_call(levels[0], self.clock())[0]
            self.incidents.append(incident)
            return incident

    # -- what the API answers -----------------------------------------------------------------------------------

    def _on_call(self, level: Level, moment: float) -> tuple[Person, float, float]:
        shift = level.shift_hours * 3600
        turn = int((moment - self.epoch) // shift)
        start = self.epoch + turn * shift
        return level.people[turn % len(level.people)], start, start + shift

    def _service_json(self, service: Service, include: list[str]) -> dict[str, Any]:
        policy_name, _ = self.policies.get(service.policy, ("", []))
        policy: dict[str, Any] = {
            "id": service.policy,
            "type": "escalation_policy_reference",
            "summary": policy_name,
            "self": f"https://api.pagerduty.com/escalation_policies/{service.policy}",
            "html_url": f"{HTML}/escalation_policies/{service.policy}",
        }
        if "escalation_policies" in include:
            policy = {**policy, "type": "escalation_policy", "name": policy_name}
        body: dict[str, Any] = {
            "id": service.id,
            "type": "service",
            "name": service.name,
            "summary": service.name,
            "description": service.description,
            "status": "critical" if self._open(service.id) else "active",
            "self": f"https://api.pagerduty.com/services/{service.id}",
            "html_url": f"{HTML}/service-directory/{service.id}",
            "escalation_policy": policy,
            "integrations": [],
        }
        if service.integration_key:
            integration = {
                "id": f"I{service.id[1:]}",
                "type": "generic_events_api_inbound_integration_reference",
                "summary": "Events API v2",
                "self": f"https://api.pagerduty.com/services/{service.id}/integrations/I{service.id[1:]}",
            }
            if "integrations" in include:
                integration = {
                    **integration,
                    "type": "events_api_v2_inbound_integration",
                    "name": "Events API v2",
                    "integration_key": service.integration_key,
                }
            body["integrations"].append(integration)
        return body

    def _open(self, service_id: str) -> list[Incident]:
        return [i for i in self.incidents if i.service == service_id and i.status in ("triggered", "acknowledged")]

    def _incident_json(self, incident: Incident) -> dict[str, Any]:
        service = self.services[incident.service]
        assignments = []
        if incident.assignee is not None:
            assignments.append({"at": iso(incident.created), "assignee": self._user_ref(incident.assignee)})
        return {
            "id": incident.id,
            "type": "incident",
            "summary": f"[#{incident.number}] {incident.title}",
            "incident_number": incident.number,
            "title": incident.title,
            "status": incident.status,
            "urgency": incident.urgency,
            "created_at": iso(incident.created),
            "updated_at": iso(incident.created),
            "incident_key": secrets.token_hex(8),
            "html_url": f"{HTML}/incidents/{incident.id}",
            "self": f"https://api.pagerduty.com/incidents/{incident.id}",
            "service": {
                "id": service.id,
                "type": "service_reference",
                "summary": service.name,
                "html_url": f"{HTML}/service-directory/{service.id}",
            },
            "assignments": assignments,
        }

    def _user_ref(self, person: Person, full: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": person.id,
            "type": "user_reference",
            "summary": person.name,
            "self": f"https://api.pagerduty.com/users/{person.id}",
            "html_url": f"{HTML}/users/{person.id}",
        }
        if full:
            body.update({"type": "user", "name": person.name, "email": person.email})
        return body

    # -- routes -------------------------------------------------------------------------------------------------

    def app(self) -> Starlette:
        guarded = self.guarded
        return Starlette(
            routes=[
                Route("/services", guarded(self.services_list), methods=["GET"]),
                Route("/services/{id}", guarded(self.service), methods=["GET"]),
                Route("/services/{id}/change_events", guarded(self.change_events), methods=["GET"]),
                Route("/oncalls", guarded(self.oncalls), methods=["GET"]),
                Route("/incidents", guarded(self.incidents_list), methods=["GET"]),
                Route("/abilities", guarded(self.abilities), methods=["GET"]),
            ]
        )

    def events_app(self) -> Starlette:
        return Starlette(routes=[Route("/v2/enqueue", self.guarded_events(self.enqueue), methods=["POST"])])

    def guarded_events(self, handler: Handler) -> Handler:
        async def run(request: Request) -> Response:
            with self.lock:
                self.calls[f"POST /events{request.url.path}"] += 1
            if self.down:
                return JSONResponse({"status": "error", "message": "Service Unavailable"}, status_code=503)
            return await handler(request)

        return run

    async def services_list(self, request: Request) -> Response:
        include = request.query_params.getlist("include[]")
        query = request.query_params.get("query", "")
        found = [
            s
            for s in self.services.values()
            if not query or query.lower() in s.name.lower() or query == s.integration_key
        ]
        body = [self._service_json(s, include) for s in found]
        return JSONResponse({"services": body, "limit": 25, "offset": 0, "total": None, "more": False})

    async def service(self, request: Request) -> Response:
        service = self.services.get(request.path_params["id"])
        if service is None:
            return error(404, {"error": {"message": "Not Found", "code": 2100}})
        return JSONResponse({"service": self._service_json(service, request.query_params.getlist("include[]"))})

    async def change_events(self, request: Request) -> Response:
        service = self.services.get(request.path_params["id"])
        if service is None:
            return error(404, {"error": {"message": "Not Found", "code": 2100}})
        events = sorted(service.change_events, key=lambda event: event["timestamp"], reverse=True)
        return JSONResponse({"change_events": events, "limit": 25, "offset": 0, "total": None, "more": False})

    async def oncalls(self, request: Request) -> Response:
        params = request.query_params
        policies = params.getlist("escalation_policy_ids[]") or list(self.policies)
        since = _time(params.get("since")) or self.clock()
        until = _time(params.get("until")) or since
        full = "users" in params.getlist("include[]")
        found = []
        for policy_id in policies:
            name, levels = self.policies.get(policy_id, ("", []))
            for number, level in enumerate(levels, start=1):
                moment = since
                while moment <= until:
                    person, start, end = self._on_call(level, moment)
                    found.append(
                        {
                            "escalation_policy": {
                                "id": policy_id,
                                "type": "escalation_policy_reference",
                                "summary": name,
                                "html_url": f"{HTML}/escalation_policies/{policy_id}",
                            },
                            "escalation_level": number,
                            "schedule": None,
                            "user": self._user_ref(person, full),
                            "start": iso(start),
                            "end": iso(end),
                        }
                    )
                    moment = end
        return JSONResponse({"oncalls": found, "limit": 25, "offset": 0, "more": False, "total": None})

    async def incidents_list(self, request: Request) -> Response:
        params = request.query_params
        services = set(params.getlist("service_ids[]"))
        statuses = set(params.getlist("statuses[]"))
        found = [
            i
            for i in self.incidents
            if (not services or i.service in services) and (not statuses or i.status in statuses)
        ]
        found.sort(key=lambda incident: incident.created, reverse=params.get("sort_by", "").endswith(":desc"))
        return JSONResponse(
            {
                "incidents": [self._incident_json(i) for i in found],
                "limit": 25,
                "offset": 0,
                "more": False,
                "total": None,
            }
        )

    async def abilities(self, request: Request) -> Response:
        return JSONResponse({"abilities": ["teams", "read_only_users", "service_support_hours", "urgencies"]})

    async def enqueue(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse(
                {"status": "invalid event", "message": "Event object is invalid", "errors": ["Malformed JSON"]},
                status_code=400,
            )
        with self.lock:
            self.events.append(body)
        key = body.get("routing_key") if isinstance(body, dict) else None
        service = next((s for s in self.services.values() if key and s.integration_key == key), None)
        payload = body.get("payload") if isinstance(body, dict) else None
        if (
            service is None
            or not isinstance(payload, dict)
            or not payload.get("summary")
            or body.get("event_action") != "trigger"
        ):
            errors = ["'routing_key' is invalid"] if service is None else ["'payload.summary' is missing or blank"]
            return JSONResponse(
                {"status": "invalid event", "message": "Event object is invalid", "errors": errors}, status_code=400
            )
        urgency = "high" if payload.get("severity") in ("critical", "error") else "low"
        incident = self.open_incident(service.id, str(payload["summary"]), urgency, age_seconds=0)
        dedup = body.get("dedup_key") or incident.id.lower()
        return JSONResponse({"status": "success", "message": "Event processed", "dedup_key": dedup}, status_code=202)


def _time(raw: str | None) -> float | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
