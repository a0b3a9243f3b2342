"""Deployments: which version runs in each environment, market and cluster, and the way to its logs, dashboards
and health. Written against ``callboard.sdk`` only.

- config: Backstage's ``kubernetes.clusterLocatorMethods`` (each cluster with ``environment`` and ``market``) and
  ``deployments`` (environments, targets, Argo CD, links, Grafana, golden-signal queries, staleness)
- storage: ``deployment_workloads``, ``deployment_history``, ``deployment_sources`` and their migrations
- permission: ``deployments.read`` (and only entities the caller may read)
- routes: ``/api/deployments/`` and the fleet page ``/deployments/``
- entity tab **Deployments**; nav item **Deployments**
- scheduled tasks: Kubernetes list-then-watch, Argo CD polling, matching again after catalog changes
- events: reads ``change-events.created`` (deployments) and ``deployments.observed`` (versions other plugins
  report); publishes ``deployments.changed``
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callboard.sdk import (
    CATALOG_ENTITY_CHANGED,
    CATALOG_ENTITY_REMOVED,
    EntityTab,
    NavItem,
    PermissionSpec,
    PluginConfig,
    PluginContext,
    PluginRoutes,
    PluginStorage,
    ScheduledTask,
    hookimpl,
)
from callboard_deployments.settings import SECRETS, Settings

# The rest is imported inside the hooks that use it: every command loads every plugin before it runs,
# and a plugin that imports its web routes, tables and clients here slows down even 'callboard --help'.
if TYPE_CHECKING:
    from callboard_deployments import demo
    from callboard_deployments.grafana import DashboardFinder
    from callboard_deployments.service import Deployments
    from callboard_deployments.signals import SignalReader

CALLBOARD_PLUGIN_API = "1.10"
CHANGE_EVENTS_CREATED = "change-events.created"

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


class _State:
    service: Deployments | None = None
    signals: SignalReader | None = None
    dashboards: DashboardFinder | None = None
    fleet: demo.Fleet | None = None


state = _State()


@hookimpl
def register_config() -> PluginConfig:
    return PluginConfig(Settings, key="deployments", secrets=SECRETS, shared_keys=("kubernetes",))


@hookimpl
def register_storage() -> PluginStorage:
    from callboard_deployments.tables import metadata

    return PluginStorage(metadata, HERE / "migrations")


@hookimpl
def register_permissions() -> list[PermissionSpec]:
    from callboard_deployments.permissions import READ

    return [PermissionSpec(READ, "See which versions run where (for entities the caller may read)", "read")]


@hookimpl
def register_routes(context: PluginContext) -> PluginRoutes:
    from callboard_deployments import pages, routes

    service = _service(context)
    assert state.signals is not None and state.dashboards is not None
    return PluginRoutes(
        api=routes.api_router(service),
        pages=pages.pages_router(service, state.signals, state.dashboards),
        templates=HERE / "templates",
        static=HERE / "static",
    )


@hookimpl
def register_scheduled_tasks(context: PluginContext) -> list[ScheduledTask]:
    from callboard_deployments.service import poll_argocd

    service = _service(context)
    settings: Settings = context.config
    minutes = settings.watching.run_minutes
    tasks = [ScheduledTask("rematch", service.rematch, every_seconds=15.0, timeout_seconds=600.0)]
    if settings.kubernetes.clusters() or settings.demo:  # the demo adds its clusters at start-up
        # A run watches for runMinutes and the next starts right after it: the watches stay open.
        tasks.append(
            ScheduledTask("kubernetes", service.watch_kubernetes, every_seconds=2.0, timeout_seconds=minutes * 60 + 300)
        )
    if settings.argocd is not None:
        tasks.append(ScheduledTask("argocd", lambda: poll_argocd(service), every_seconds=settings.argocd.every_seconds))
    if settings.demo:
        tasks.append(ScheduledTask("demo", lambda: _demo_step(service), every_seconds=90.0, scope="local"))
    return tasks


@hookimpl
def register_entity_tabs() -> list[EntityTab]:
    from callboard_deployments import pages

    return [
        EntityTab(
            "deployments",
            "Deployments",
            "deployments_tab.html",
            weight=12,
            applies_to=lambda entity: pages.has_deployments(state.service, entity),
            context=lambda entity_context: pages.tab_context(
                state.service, state.signals, state.dashboards, entity_context
            ),
            template_dir=str(HERE / "templates"),
        )
    ]


@hookimpl
def register_nav_items() -> list[NavItem]:
    return [NavItem("Deployments", "/deployments/", weight=24, icon="deployments")]


@hookimpl
def startup(context: PluginContext) -> None:
    from callboard_deployments import demo
    from callboard_deployments.service import OBSERVED

    service = _service(context)
    settings: Settings = context.config
    if settings.demo and state.fleet is None:
        state.fleet = demo.start(settings)
    context.events.subscribe(CHANGE_EVENTS_CREATED, lambda topic, payload: _ignore(service.on_change_events(payload)))
    context.events.subscribe(OBSERVED, lambda topic, payload: _ignore(service.on_observed(payload)))
    for topic in (CATALOG_ENTITY_CHANGED, CATALOG_ENTITY_REMOVED):
        context.events.subscribe(topic, lambda topic, payload: service.catalog_changed.set())


@hookimpl
def stopping(context: PluginContext) -> None:
    # The watch of the clusters runs for minutes; cut it now so that the portal's wait for runs is short.
    if state.service is not None:
        state.service.stop()


@hookimpl
def shutdown(context: PluginContext) -> None:
    if state.service is not None:
        state.service.stop()
    if state.fleet is not None:
        state.fleet.stop()
    state.service = state.signals = state.dashboards = state.fleet = None


def _service(context: PluginContext) -> Deployments:
    from callboard_deployments.grafana import DashboardFinder
    from callboard_deployments.service import Deployments
    from callboard_deployments.signals import SignalReader

    if state.service is None or state.service.context is not context:
        state.service = Deployments(context)
        settings = state.service.settings
        state.signals = SignalReader(settings.signals, lambda name: _client(context, name), context.now)
        state.dashboards = DashboardFinder(settings.grafana, lambda name: _client(context, name))
    return state.service


def _client(context: PluginContext, name: str) -> Any:
    """The integration client; in the demo, the demo's Prometheus and Grafana (no integration is configured)."""
    import httpx

    if state.fleet is not None and name == "demo-prometheus":
        return httpx.Client(base_url=state.fleet.prometheus_url, timeout=5.0)
    if state.fleet is not None and name == "demo-grafana":
        return httpx.Client(base_url=f"{state.fleet.observability.url}/grafana", timeout=5.0)
    return context.http_client(name)


def _demo_step(service: Deployments) -> str:
    from callboard_deployments import demo

    if state.fleet is None:
        return "no demo fleet"
    return demo.step(state.fleet, list(service.context.catalog.find({"kind": "component"}, limit=500)))


def _ignore(value: object) -> None:
    """Event handlers return nothing; what the service counted is for tests and logs."""
