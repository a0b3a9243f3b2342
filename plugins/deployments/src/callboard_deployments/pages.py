"""The Deployments tab of an entity (the matrix, links, signals, a cell's history) and the fleet page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from callboard.sdk import EntityContext, EntityRef, NotFoundError, PluginCatalog
from callboard_deployments import grafana, links, matching, store
from callboard_deployments.model import parse_time
from callboard_deployments.routes import chosen_entities, entity_items, fleet_cells, history_item, place_items
from callboard_deployments.service import Deployments
from callboard_deployments.signals import TITLES, SignalReader, shown, sparkline
from callboard_deployments.views import fleet_body, grid, prevailing_versions

WATCHED = (matching.KUBERNETES_ID, matching.LABEL_SELECTOR, matching.ARGOCD_APP, matching.ARGOCD_SELECTOR)


def has_deployments(service: Deployments | None, entity: Mapping[str, Any]) -> bool:
    annotations = entity.get("metadata", {}).get("annotations") or {}
    if any(annotations.get(key) for key in WATCHED):
        return True
    if service is None or str(entity.get("kind", "")).lower() != "component":
        return False
    return store.runs_anything(service.context.database, EntityRef.of(dict(entity)).key)


def tab_context(
    service: Deployments | None,
    signals: SignalReader | None,
    dashboards: grafana.DashboardFinder | None,
    context: EntityContext,
) -> Mapping[str, Any]:
    if service is None or signals is None or dashboards is None:
        return {"rows": [], "disabled": True}
    return matrix_context(service, signals, dashboards, context.entity, context.ref, context.params)


def matrix_context(
    service: Deployments,
    signals: SignalReader,
    dashboards: grafana.DashboardFinder,
    entity: Mapping[str, Any],
    ref: str,
    params: Mapping[str, str],
) -> dict[str, Any]:
    settings = service.settings
    found = entity_items(service, [ref])
    now = service.context.now()
    at = parse_time(params.get("at")) if params.get("at") else None
    span = links.window(now, at)
    problems = matching.annotation_problems(entity)
    for item in found:
        item["links"], trouble = links.compute(settings.links, entity, item, span)
        problems.extend(trouble)
    environments = sorted({item["environment"] for item in found})
    health = {}
    if signals.enabled:
        namespace = next((item["namespace"] for item in found if item["namespace"]), "")
        for environment in environments:
            health[environment] = signals.health(entity, environment, namespace)
    found_dashboards, dashboard_problem = dashboards.find(entity)
    cell = params.get("cell", "")
    history = (
        [
            history_item(row)
            for row in store.cell_history(service.context.database, ref, cell, settings.history_per_cell)
        ]
        if cell
        else []
    )
    changes = [history_item(row) for row in store.recent_history(service.context.database, ref, 12)]
    query = {key: value for key, value in params.items() if key in ("at", "cell")}
    markets, rows = grid(found, settings)
    return {
        "markets": markets,
        "entity_name": entity.get("metadata", {}).get("name", ""),
        "rows": rows,
        "items": found,
        "prevailing": prevailing_versions(found),
        "reference": settings.reference_environment,
        "health": health,
        "titles": TITLES,
        "sparkline": sparkline,
        "shown": shown,
        "grafana": dashboards.enabled,
        "dashboards": found_dashboards,
        "dashboard_problem": dashboard_problem,
        "problems": sorted(set(problems)),
        "cell": cell,
        "history": history,
        "changes": changes,
        "at": params.get("at", ""),
        "span": span,
        "fragment_href": "/deployments/fragment?" + urlencode({"entity": ref, **query}),
        "stale_after": settings.stale_after_minutes,
        "drifted": sum(1 for item in found if item["drift"]),
    }


def pages_router(service: Deployments, signals: SignalReader, dashboards: grafana.DashboardFinder) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    def index(
        request: Request,
        owner: str = "",
        system: str = "",
        fragment: bool = False,
        limit: int = Query(200, ge=1, le=1000),
    ) -> HTMLResponse:
        service.require()
        refs = chosen_entities(service, [], owner or None, system or None, limit)
        columns, cells = fleet_cells(service, refs)
        values = {
            "refs": refs,
            "columns": columns,
            "body": fleet_body(refs, columns, cells),
            "owner": owner,
            "system": system,
            "reference": service.settings.reference_environment,
            "drifted": sum(1 for row in cells.values() for cell in row.values() if cell.drift),
            "fragment_href": "/deployments/?"
            + urlencode({"owner": owner, "system": system, "limit": limit, "fragment": 1}),
            "clusters": [] if fragment else place_items(service),
        }
        return service.context.render(request, "fleet_grid.html" if fragment else "index.html", **values)

    @router.get("/fragment", response_class=HTMLResponse)
    def fragment(request: Request, entity: str, at: str = "", cell: str = "") -> HTMLResponse:
        """The entity tab's matrix alone: the tab reloads it every few seconds to stay current."""
        service.require()
        found = _readable(service.context.caller_catalog, entity)
        params = {key: value for key, value in (("at", at), ("cell", cell)) if value}
        values = matrix_context(service, signals, dashboards, found, entity, params)
        return service.context.render(request, "matrix.html", **values)

    return router


def _readable(catalog: PluginCatalog, raw: str) -> Mapping[str, Any]:
    try:
        ref = EntityRef.parse(raw).key
    except ValueError as error:
        raise NotFoundError(f"entity: {error}") from None
    found = catalog.entity(ref)
    if found is None:
        raise NotFoundError(f"No entity {ref} in the catalog (or you may not read it)")
    return found
