"""The API under ``/api/deployments``: what runs for an entity, the matrix for many, and each cluster's workloads.

Every route needs ``deployments.read``; what concerns an entity is shown only when the caller may read that entity.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from callboard.sdk import EntityRef, EntityRefError, InputError, NotFoundError
from callboard_deployments import store
from callboard_deployments.model import iso
from callboard_deployments.service import Deployments
from callboard_deployments.views import FleetCell, fleet, items, mark_drift

MAX_ENTITIES = 1000
#: Row ids are 64-bit integers in both databases: a larger cursor is refused (422), not sent to the database.
MAX_ID = 2**63 - 1
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such entity, or none the caller may read."}}


def api_router(service: Deployments) -> APIRouter:
    router = APIRouter()

    @router.get("/entities/{kind}/{namespace}/{name}", responses=NOT_FOUND)
    def entity(kind: str, namespace: str, name: str) -> dict[str, Any]:
        """Which version runs where for one entity: an item per workload, with drift marked."""
        service.require()
        ref = readable_ref(service, kind, namespace, name)
        return {"items": entity_items(service, [ref])}

    @router.get("/entities/{kind}/{namespace}/{name}/history", responses=NOT_FOUND)
    def history(
        kind: str, namespace: str, name: str, cluster: str, limit: int = Query(50, ge=1, le=1000)
    ) -> dict[str, Any]:
        """The versions one entity had in one cluster (or target), newest first."""
        service.require()
        ref = readable_ref(service, kind, namespace, name)
        return {
            "items": [history_item(row) for row in store.cell_history(service.context.database, ref, cluster, limit)]
        }

    @router.get("/matrix")
    def matrix(
        entity: list[str] = Query(default=[], description="Entity refs (repeat); else owner, system, or all"),
        owner: str | None = None,
        system: str | None = None,
        limit: int = Query(200, ge=1, le=MAX_ENTITIES),
    ) -> dict[str, Any]:
        """Many entities by environments: the versions each runs there, drift, health and freshness."""
        service.require()
        refs = chosen_entities(service, entity, owner, system, limit)
        columns, cells = fleet_cells(service, refs)
        return {
            "environments": columns,
            "entities": [
                {
                    "entityRef": ref,
                    "cells": {
                        env: vars(cell) | {"differsFromProduction": cell.differs_from_production}
                        for env, cell in cells[ref].items()
                    },
                }
                for ref in refs
            ],
        }

    @router.get("/clusters")
    def clusters() -> dict[str, Any]:
        """Every cluster and target: its environment and market, when it was last heard from, what it runs."""
        service.require()
        return {"items": place_items(service)}

    @router.get("/clusters/{cluster}/workloads", responses={404: {"description": "No such cluster or target."}})
    def workloads(
        cluster: str, limit: int = Query(200, ge=1, le=1000), after: int = Query(0, ge=0, le=MAX_ID)
    ) -> dict[str, Any]:
        """What one cluster runs, matched or not (workloads of entities the caller may not read are left out)."""
        service.require()
        rows = store.for_place(service.context.database, cluster, limit + 1, after)
        if not rows and after == 0 and cluster not in service.places():
            raise NotFoundError(f"No cluster or target named {cluster!r}; GET /api/deployments/clusters lists them")
        more = len(rows) > limit
        rows = rows[:limit]
        readable = set(
            service.context.caller_catalog.entities(sorted({row.entity_ref for row in rows if row.entity_ref}))
        )
        shown = [row for row in rows if row.entity_ref is None or row.entity_ref in readable]
        contacts = store.contacts(service.context.database)
        found = items(shown, contacts, service.context.now(), service.settings)
        return {"items": found, "nextCursor": str(rows[-1].id) if more and rows else None}

    return router


def readable_ref(service: Deployments, kind: str, namespace: str, name: str) -> str:
    try:
        ref = EntityRef(kind, namespace, name).key
    except EntityRefError as error:
        raise InputError(f"{error}; the path is /entities/<kind>/<namespace>/<name>") from None
    if service.context.caller_catalog.entity(ref) is None:
        raise NotFoundError(f"No entity {ref} in the catalog (or you may not read it)")
    return ref


def fleet_cells(service: Deployments, refs: list[str]) -> tuple[list[str], dict[str, dict[str, FleetCell]]]:
    now = service.context.now()
    rows = store.fleet_rows(service.context.database, refs, now - service.settings.stale_after_minutes * 60)
    return fleet(rows, refs, now, service.settings)


def entity_items(service: Deployments, refs: list[str]) -> list[dict[str, Any]]:
    rows = store.for_entities(service.context.database, refs)
    found = items(rows, store.contacts(service.context.database), service.context.now(), service.settings)
    mark_drift(found, service.settings)
    return found


def chosen_entities(
    service: Deployments, entity: list[str], owner: str | None, system: str | None, limit: int
) -> list[str]:
    catalog = service.context.caller_catalog
    if entity:
        refs = [_parse(raw, "entity") for raw in entity[:MAX_ENTITIES]]
    elif owner or system:
        filters: dict[str, str] = {"kind": "component"}
        if owner:
            filters["relations.ownedBy"] = _parse(owner, "owner", "group")
        if system:
            filters["relations.partOf"] = _parse(system, "system", "system")
        refs = [EntityRef.of(dict(found)).key for found in catalog.find(filters, limit=limit)]
    else:
        return _readable_running(service, limit)
    readable = catalog.entities(refs)
    return [ref for ref in dict.fromkeys(refs) if ref in readable][:limit]


def _readable_running(service: Deployments, limit: int) -> list[str]:
    """The first ``limit`` entities something runs for that the caller may read (a page at a time, so a caller
    who may read few is not shown fewer than there are)."""
    shown: list[str] = []
    after = ""
    for _ in range(10):
        page = store.entity_refs(service.context.database, limit - len(shown), after)
        if not page:
            break
        readable = service.context.caller_catalog.entities(page)
        shown.extend(ref for ref in page if ref in readable)
        if len(shown) >= limit:
            break
        after = page[-1]
    return shown


def _parse(raw: str, parameter: str, kind: str = "component") -> str:
    try:
        return EntityRef.parse(raw, default_kind=kind).key
    except (EntityRefError, ValueError) as error:
        raise InputError(f"{parameter}: {error}; give a ref such as {kind}:default/name") from None


def history_item(row: Any) -> dict[str, Any]:
    return {
        "version": row.version,
        "since": iso(row.since),
        "deployedBy": row.deployed_by,
        "environment": row.environment,
        "market": row.market,
        "cluster": row.place,
        "source": row.source,
    }


def place_items(service: Deployments) -> list[dict[str, Any]]:
    counts = store.place_counts(service.context.database)
    contacts = store.contacts(service.context.database)
    places = service.places()
    found = []
    for name in sorted(set(places) | set(counts)):
        place = places.get(name)
        contact, error = contacts.get(name, (0.0, None))
        total, matched = counts.get(name, (0, 0))
        found.append(
            {
                "name": name,
                "environment": place.environment if place else None,
                "market": place.market if place else None,
                "configured": place is not None,
                "contactedAt": iso(contact) if contact else None,
                "error": error,
                "workloads": total,
                "matched": matched,
            }
        )
    return found
