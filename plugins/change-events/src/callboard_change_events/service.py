"""Storing changes (placed on their entities, published on the event bus) and reading them as the caller may."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from callboard.sdk import (
    OWNED_BY,
    PARENT_OF,
    PART_OF,
    EntityRef,
    NotAllowedError,
    NotFoundError,
    PluginCatalog,
    PluginContext,
    current_access,
)
from callboard_change_events import correlation, mapping, store
from callboard_change_events.ingress import Refused
from callboard_change_events.model import ChangeEvent, checked, entity_ref, iso, parse_time
from callboard_change_events.permissions import CREATE, READ
from callboard_change_events.settings import Settings
from callboard_change_events.writer import GroupWriter

CREATED = "change-events.created"
#: Entities an owner, system or domain filter may stand for (the largest teams own a few thousand).
MAX_SCOPE = 5000


@dataclass(frozen=True)
class Outcome:
    event_id: int
    created: bool
    entity_refs: tuple[str, ...]
    unmatched: str | None

    def answer(self) -> dict[str, Any]:
        return {
            "id": str(self.event_id),
            "created": self.created,
            "entityRefs": list(self.entity_refs),
            "unmatched": self.unmatched,
        }


class ChangeEvents:
    def __init__(self, context: PluginContext) -> None:
        self.context = context
        self.keys = mapping.KeyCache()
        self.writer = GroupWriter(
            lambda placed: store.add_many(self.context.database, placed, self.context.now()), self._announce
        )

    @property
    def settings(self) -> Settings:
        settings: Settings = self.context.config
        return settings

    # -- writing ----------------------------------------------------------------------------------------

    def record(self, event: ChangeEvent, *, replay_checked: bool = True) -> Outcome:
        """Store ``event`` once, placed on its entities; a change seen before answers as it was stored.

        ``replay_checked``: refuse a change older than the replay window. Signed webhooks are checked (a captured
        delivery cannot be sent again later); token-authorised senders may backdate (a script backfilling
        last month's deploys), since whoever holds the token could send anything anyway.
        """
        event = checked(event)
        now = self.context.now()
        if replay_checked and event.time < now - self.settings.replay_window_minutes * 60:
            raise Refused(
                400,
                f"the change happened at {iso(event.time)}, before the replay window of "
                f"{self.settings.replay_window_minutes:g} minutes (changeEvents.replayWindowMinutes)",
            )
        placed = self._placed(event)
        stored = self.writer.save(placed)
        return Outcome(stored.id, stored.created, tuple(placed.refs), placed.unmatched)

    def record_backdated(self, events: Sequence[ChangeEvent]) -> int:
        """Store many changes of the past at once (the demo's month), committed in groups; how many were new."""
        placed = [self._placed(event) for event in map(checked, events)]
        return sum(stored.created for stored in self.writer.save_many(placed))

    def _placed(self, event: ChangeEvent) -> store.Placed:
        placement = mapping.place(event, self.context.catalog, self.settings.rules, self.keys)
        return store.Placed(event, placement.refs, placement.reason)

    def _announce(self, written: Sequence[tuple[store.Placed, store.Stored]]) -> None:
        """One ``change-events.created`` message per committed group: ``{"events": [{id, type, entityRefs,
        time, source, actor, url, environment, market, cluster, version, status}]}`` (a group is one delivery
        when the portal is quiet; ``status`` is the change's ``attributes.status``, e.g. a deployment's
        ``success``). The deployments plugin reads deployments from it."""
        created = [
            {
                "id": stored.id,
                "type": placed.event.type,
                "entityRefs": list(placed.refs),
                "time": iso(placed.event.time),
                "source": placed.event.source,
                "actor": placed.event.actor,
                "url": placed.event.url,
                "environment": placed.event.environment,
                "market": placed.event.market,
                "cluster": placed.event.cluster,
                "version": placed.event.version,
                "status": str(placed.event.attributes.get("status") or ""),
            }
            for placed, stored in written
            if stored.created
        ]
        if created:
            self.context.events.publish(CREATED, {"events": created})

    def refused(self, source: str, reason: str, status: int) -> None:
        """Ingress failures are audited: a wrong secret in a sender's config shows up, and so do probes."""
        self.context.audit(
            f"change-events.ingest.{source}",
            source,
            outcome="refused",
            detail={"status": status, "reason": reason[:300]},
        )

    def match_waiting(self, refs: Sequence[str]) -> int:
        """Place unmatched events on entities that now carry the annotation they name."""
        self.keys.forget()
        if not store.has_pending(self.context.database):
            return 0  # the usual case: the catalog's changes cost one indexed read here
        found = self.context.catalog.entities(refs)
        keys: dict[str, list[str]] = {}
        for ref, entity in found.items():
            for key in mapping.keys_of(entity):
                keys.setdefault(key, []).append(ref)
        if not keys:
            return 0
        matched: dict[int, list[str]] = {}
        for key, event_id in store.pending_for(self.context.database, keys):
            matched.setdefault(event_id, []).extend(keys[key])
        return store.attach(self.context.database, matched)

    # -- reading, as the caller may ---------------------------------------------------------------------

    def require(self, permission: str = READ) -> None:
        """Refuse (403) unless the caller holds ``permission`` (reading, or recording with ``CREATE``)."""
        access = current_access()
        if not access.decide(permission).allowed:
            what = "record" if permission == CREATE else "read"
            raise NotAllowedError(f"{access.identity.subject} may not {what} change events ({permission})")

    def correlate(self, entity: str, at: str | None, hours: float | None, depth: int | None) -> dict[str, Any]:
        """What changed before ``at`` (default: now) on ``entity`` and its dependencies, as the caller may see it;
        the settings give the window and depth not asked for."""
        ref = scope_ref(entity, "component", "entity")
        moment = parse_time(at, "at") if at else self.context.now()
        found = correlation.before(
            self.context.database,
            self.context.caller_catalog,
            ref,
            at=moment,
            hours=hours or self.settings.correlation_hours,
            depth=self.settings.correlation_depth if depth is None else depth,
        )
        if not any(item["entityRef"] == ref for item in found["entities"]):
            raise NotFoundError(f"No entity {ref} in the catalog (or you may not read it); check the entity ref")
        found["items"] = self.visible(found["items"])
        return found

    def visible(self, events: list[dict[str, Any]], catalog: PluginCatalog | None = None) -> list[dict[str, Any]]:
        """The events whose every entity the caller may read (an event about a hidden entity is hidden)."""
        if current_access().decide("catalog.entity.read").result == "allow":
            return events
        refs = sorted({ref for event in events for ref in event["entityRefs"]})
        readable = set((catalog or self.context.caller_catalog).entities(refs)) if refs else set()
        return [event for event in events if all(ref in readable for ref in event["entityRefs"])]

    def page(self, query: store.Query, catalog: PluginCatalog | None = None) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``query.limit`` visible events, and whether more may follow."""
        shown: list[dict[str, Any]] = []
        after = query.after
        for _ in range(20):  # hidden events are skipped; a page never scans without end
            batch = store.listed(self.context.database, replace(query, after=after, limit=query.limit + 1))
            more = len(batch) > query.limit
            batch = batch[: query.limit]
            shown.extend(self.visible(batch, catalog))
            if len(shown) >= query.limit or not more or not batch:
                return shown[: query.limit], more or len(shown) > query.limit
            after = int(batch[-1]["id"])
        return shown[: query.limit], True

    def window(self, query: store.Query, most: int, catalog: PluginCatalog | None = None) -> list[dict[str, Any]]:
        """Up to ``most`` visible events of ``query``, newest first, a page at a time: what a picture draws."""
        found: list[dict[str, Any]] = []
        after = query.after
        while len(found) < most:
            batch, more = self.page(replace(query, after=after, limit=min(store.MAX_PAGE, most - len(found))), catalog)
            found.extend(batch)
            if not more or not batch:
                break
            after = int(batch[-1]["id"])
        return found

    def scope(self, *, owner: str | None, system: str | None, domain: str | None) -> list[str] | None:
        """The entity refs an owner (with its child groups), system or domain stands for; None: no filter."""
        if not (owner or system or domain):
            return None
        catalog = self.context.caller_catalog
        refs: set[str] | None = None
        if owner:
            groups = _descendants(catalog, scope_ref(owner, "group", "owner"))
            owned = {_ref(entity) for entity in catalog.find({f"relations.{OWNED_BY}": groups}, limit=MAX_SCOPE)}
            refs = owned | set(groups)
        if system:
            system_ref = scope_ref(system, "system", "system")
            parts = {_ref(entity) for entity in catalog.find({f"relations.{PART_OF}": system_ref}, limit=MAX_SCOPE)}
            parts.add(system_ref)
            refs = parts if refs is None else refs & parts
        if domain:
            domain_ref = scope_ref(domain, "domain", "domain")
            systems = [_ref(e) for e in catalog.find({f"relations.{PART_OF}": domain_ref}, limit=MAX_SCOPE)]
            found = {domain_ref, *systems}
            if systems:
                found |= {_ref(e) for e in catalog.find({f"relations.{PART_OF}": systems}, limit=MAX_SCOPE)}
            refs = found if refs is None else refs & found
        return sorted(refs or ())


def _ref(entity: Mapping[str, Any]) -> str:
    return EntityRef.of(dict(entity)).key


def _descendants(catalog: PluginCatalog, group: str) -> list[str]:
    groups = [group]
    frontier = [group]
    for _ in range(10):
        found = catalog.entities(frontier)
        frontier = [
            str(relation["targetRef"]).lower()
            for entity in found.values()
            for relation in entity.get("relations") or []
            if relation.get("type") == PARENT_OF and str(relation["targetRef"]).lower() not in groups
        ]
        if not frontier:
            break
        groups.extend(frontier)
    return groups


def scope_ref(raw: str, kind: str, parameter: str) -> str:
    """``payments`` or ``group:payments`` as a full ref, of ``kind`` when none is given; errors name ``parameter``."""
    return entity_ref(raw, parameter, default_kind=kind)
