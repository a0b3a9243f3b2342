""" "What changed before this?": the changes to an entity and to everything it depends on, in the window
before a moment, ranked by how close each is in time and in the dependency graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callboard.sdk import API_PROVIDED_BY, CONSUMES_API, DEPENDS_ON, HAS_PART, PluginCatalog, PluginDatabase
from callboard_change_events import store
from callboard_change_events.model import INCIDENT_TYPES, parse_time

#: Relations followed from an entity to what it needs: its dependencies, the APIs it consumes and the
#: components that provide them, and a system's parts.
FOLLOWED = (DEPENDS_ON, CONSUMES_API, API_PROVIDED_BY, HAS_PART)
SYMPTOM_TYPES = (*INCIDENT_TYPES, "alert")
MAX_ENTITIES = 500
MAX_RESULTS = 200


@dataclass(frozen=True)
class Reached:
    ref: str
    distance: int
    #: The relation path from the entity asked about, e.g. ("dependsOn resource:default/db",).
    via: tuple[str, ...]


def dependencies(catalog: PluginCatalog, ref: str, depth: int) -> dict[str, Reached]:
    """Entities reachable from ``ref`` through ``FOLLOWED`` relations within ``depth`` hops (``ref`` at 0),
    as the caller may read them: one catalog read per hop."""
    reached = {ref: Reached(ref, 0, ())}
    frontier = [ref]
    for distance in range(1, depth + 1):
        if not frontier or len(reached) >= MAX_ENTITIES:
            break
        found = catalog.entities(frontier)
        following: list[str] = []
        for source in frontier:
            entity = found.get(source)
            if entity is None:
                continue
            for relation in entity.get("relations") or []:
                target = str(relation.get("targetRef") or "").lower()
                if relation.get("type") not in FOLLOWED or not target or target in reached:
                    continue
                if len(reached) >= MAX_ENTITIES:
                    break
                reached[target] = Reached(target, distance, (*reached[source].via, f"{relation.get('type')} {target}"))
                following.append(target)
        frontier = following
    return reached


def before(
    database: PluginDatabase,
    catalog: PluginCatalog,
    ref: str,
    *,
    at: float,
    hours: float,
    depth: int,
) -> dict[str, Any]:
    """Changes to ``ref`` and its dependencies in the ``hours`` before ``at``, best candidates first."""
    window = hours * 3600
    reached = dependencies(catalog, ref, depth)
    readable = set(catalog.entities(list(reached)))
    refs = [item for item in reached if item in readable]
    found = store.listed(database, store.Query(entity_refs=refs, since=at - window, until=at, limit=store.MAX_PAGE))
    ranked: list[dict[str, Any]] = []
    for event in found:
        concerned = [reached[item] for item in event["entityRefs"] if item in reached and item in readable]
        if not concerned:
            continue
        nearest = min(concerned, key=lambda item: item.distance)
        seconds_before = at - _seconds(event)
        if event["type"] in INCIDENT_TYPES and nearest.distance == 0 and seconds_before <= 0:
            continue  # the incident being explained
        # Recent changes matter most: a change one half-life earlier counts half as much (an hour, for a day's
        # window); each step away in the graph counts a little less (2/3 at one step, 1/2 at two).
        closeness = 0.5 ** (max(seconds_before, 0.0) / max(window / 24, 900.0))
        # Incidents and alerts are symptoms, not causes: they stay listed but rank low.
        weight = 0.25 if event["type"] in SYMPTOM_TYPES else 1.0
        score = round(weight * closeness / (1 + 0.5 * nearest.distance), 6)
        ranked.append(
            {
                **event,
                "distance": nearest.distance,
                "via": list(nearest.via),
                "secondsBefore": round(seconds_before, 3),
                "score": score,
            }
        )
    ranked.sort(key=lambda item: (-item["score"], item["secondsBefore"]))
    return {
        "entityRef": ref,
        "at": at,
        "hours": hours,
        "depth": depth,
        "entities": [
            {"entityRef": item.ref, "distance": item.distance, "via": list(item.via)}
            for item in reached.values()
            if item.ref in readable
        ],
        "items": ranked[:MAX_RESULTS],
    }


def _seconds(event: Mapping[str, Any]) -> float:
    return parse_time(event["time"], "time")
