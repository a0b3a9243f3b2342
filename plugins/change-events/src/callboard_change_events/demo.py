"""A month of made-up changes over the catalog, for the demo (``changeEvents.demo: true``).

Deployments per environment and market, builds, merges, flags and config changes for every component, and
three incidents each preceded by a change to something the incident's service depends on, so that "what
changed before this?" has a story to tell. The same catalog and moment always give the same month.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from callboard.sdk import EntityRef
from callboard_change_events import store
from callboard_change_events.model import ChangeEvent
from callboard_change_events.service import ChangeEvents

SOURCE = "demo"
DAYS = 30
MARKETS = (("eu-west-1", "prod-eu-1"), ("us-east-1", "prod-us-1"))
CI = "https://ci.northwind.example"

#: (incident's service, the dependency changed before it, what changed, minutes before, days ago)
STORIES = (
    ("payment-service", "invoice-service", "deployment", 38, 0.12),
    ("booking-service", "customer-service", "deployment", 22, 4.3),
    ("tracking-service", "resource:default/events-bus", "infrastructure-change", 51, 11.6),
)


def seed(service: ChangeEvents) -> int:
    """Record the demo month once (nothing if demo events exist, or the catalog has no components yet)."""
    database = service.context.database
    if store.listed(database, store.Query(limit=1)):
        return 0
    components = service.context.catalog.find({"kind": "component"}, limit=500)
    if not components:
        return 0
    # In groups of 200 per commit: one commit per event took more than the 10 s a stopping portal waits for
    # its scheduled runs, so stopping the demo in its first minute left a part of the month behind.
    return service.record_backdated(month(components, service.context.now()))


def month(components: list[Mapping[str, Any]], now: float) -> list[ChangeEvent]:
    chance = random.Random(7)
    # Failed builds come from a generator of their own, so the stories' sequence above stays as it was.
    failures = random.Random(11)
    events: list[ChangeEvent] = []
    # Quiet hours around each story's incident, so that its cause is what "what changed before this?" shows.
    quiet = [(now - days_ago * 86400 - 6 * 3600, now - days_ago * 86400 + 3600) for *_, days_ago in STORIES]
    refs = sorted(EntityRef.of(dict(entity)).key for entity in components)
    for ref in refs:
        name = ref.rsplit("/", 1)[-1]
        version = [1, chance.randint(0, 9), 0]
        moment = now - DAYS * 86400 + chance.uniform(0, 86400)
        while moment < now - 3600:
            version[2] += 1
            tag = ".".join(map(str, version))
            if failures.random() < 0.12:  # a failed build, fixed by the next push
                failed = _event("build", ref, moment - 2700, f"Build {tag} of {name}: failure", version=tag)
                events.append(replace(failed, attributes={"conclusion": "failure"}))
            events.append(_event("build", ref, moment - 900, f"Build {tag} of {name}: success", version=tag))
            events.append(_event("deployment", ref, moment, f"Deploy {tag} to staging", "staging", version=tag))
            if chance.random() < 0.45:
                for offset, (market, cluster) in enumerate(MARKETS):
                    events.append(
                        _event(
                            "deployment",
                            ref,
                            moment + 7200 + offset * 1800,
                            f"Deploy {tag} to production ({market})",
                            "production",
                            version=tag,
                            market=market,
                            cluster=cluster,
                        )
                    )
            if chance.random() < 0.3:
                number = chance.randint(100, 999)
                events.append(_event("pull-request-merged", ref, moment - 3600, f"#{number} {_topic(chance)}"))
            if chance.random() < 0.08:
                flag = f"{name}-{_topic(chance).split()[0].lower()}"
                events.append(_event("feature-flag", ref, moment + 600, f"Flag {flag} on for 25 %", "production"))
            moment += chance.uniform(0.6, 3.5) * 86400
        if failures.random() < 0.15:  # the build after the last release failed and is not fixed yet
            broken = ".".join(map(str, [*version[:2], version[2] + 1]))
            failed = _event("build", ref, now - 5400, f"Build {broken} of {name}: failure", version=broken)
            events.append(replace(failed, attributes={"conclusion": "failure"}))
    stories: list[ChangeEvent] = []
    for incident, cause, change_type, minutes, days_ago in STORIES:
        at = now - days_ago * 86400
        incident_ref = f"component:default/{incident}"
        cause_ref = cause if ":" in cause else f"component:default/{cause}"
        if incident_ref not in refs:
            continue
        title = (
            f"Deploy {cause_ref.rsplit('/', 1)[-1]} 2.0.0 to production (eu-west-1)"
            if change_type == "deployment"
            else f"Broker {cause_ref.rsplit('/', 1)[-1]}: partitions 12 → 24"
        )
        stories.append(
            _event(change_type, cause_ref, at - minutes * 60, title, "production", version="2.0.0", market="eu-west-1")
        )
        stories.append(_event("alert", incident_ref, at - 240, f"{incident}: error rate above 5 %", "production"))
        opened = f"Incident opened: {incident} failing"
        stories.append(_event("incident-opened", incident_ref, at, opened, "production"))
        if days_ago > 0.5:
            stories.append(_event("incident-resolved", incident_ref, at + 5400, f"Incident resolved: {incident}"))
    return [event for event in events if event.time < now and not _during(event.time, quiet)] + stories


def _during(moment: float, spans: list[tuple[float, float]]) -> bool:
    return any(start <= moment <= end for start, end in spans)


def _event(
    change_type: str,
    ref: str,
    moment: float,
    title: str,
    environment: str = "",
    *,
    version: str = "",
    market: str = "",
    cluster: str = "",
) -> ChangeEvent:
    name = ref.rsplit("/", 1)[-1]
    key = f"{change_type}/{name}/{int(moment)}/{environment}/{market}"
    return ChangeEvent(
        type=change_type,
        source=SOURCE,
        external_id=key,
        time=moment,
        title=title,
        actor="deploy-bot" if change_type in ("deployment", "build") else "northwind-dev",
        url=f"{CI}/{name}/{change_type}/{int(moment)}",
        environment=environment,
        market=market,
        cluster=cluster,
        version=version,
        entity_refs=(ref,),
    )


def _topic(chance: random.Random) -> str:
    return chance.choice(
        (
            "Retry carrier timeouts",
            "Cache rates for 5 minutes",
            "Upgrade the HTTP client",
            "Log the request id",
            "Split the invoice job",
            "Index bookings by customer",
            "Tighten input validation",
            "Batch the event publisher",
        )
    )
