"""Backend plugins, assembled: config validated, tables migrated, permissions known, routes, tasks and
providers collected, each plugin handed its own ``PluginContext``. Part of the composition root."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse

from callboard.auth.api import AuditLog, current_identity
from callboard.catalog.api import ServiceCatalogReader
from callboard.config_loader import ConfigError
from callboard.core.entity import EntityRef
from callboard.core.permissions import BUILTIN_PERMISSIONS, proxy_permission
from callboard.events.api import EventBus
from callboard.plugin_declarations import PluginDeclarations, check_id
from callboard.plugins.backend import (
    EntityProvider,
    HealthCheck,
    PluginRoutes,
    ScheduledTask,
)
from callboard.plugins.manager import PluginManager
from callboard.proxy.api import Endpoint
from callboard.scheduler.api import Scheduler
from callboard.settings import Settings
from callboard.sources.api import ClientTarget, build_client, integration_targets
from callboard.storage.db import Database
from callboard.storage.plugin_migrate import upgrade_plugin
from callboard.web.auth import verify_csrf

log = logging.getLogger(__name__)


def unknown_policy_permissions(
    settings: Settings, rules: Sequence[Any], declarations: PluginDeclarations, endpoints: Sequence[Endpoint]
) -> list[str]:
    """Rules naming a permission nothing checks (a typo, or a plugin since uninstalled): they never apply.

    Reported, not refused: removing a plugin must not stop the portal until its rules are cleaned up.
    """
    known = set(BUILTIN_PERMISSIONS) | declarations.permission_names() | {proxy_permission(e.name) for e in endpoints}
    found = []
    for index, rule in enumerate(rules):
        for name in rule.permissions():
            if any(character in name for character in "*?[") or name in known:
                continue
            origin = settings.loaded.origin(("permission", "rules", index)) if settings.loaded else "app-config"
            found.append(
                f"{origin}: permission.rules[{index}] names {name!r}, which no part of Callboard or its plugins "
                "checks; the rule never applies (fix the name, or remove the rule of a plugin you uninstalled)"
            )
    return found


def migrate_plugins(database: Database, declarations: PluginDeclarations) -> dict[str, str | None]:
    return {plugin: upgrade_plugin(database, plugin, spec.migrations) for plugin, spec in declarations.storage.items()}


class _Provider:
    """The connection an entity provider writes through; its provider key is ``<plugin>:<provider id>``."""

    def __init__(self, key: str, apply: Callable[[str, list[Any]], int], current: Callable[[str], list[Any]]) -> None:
        self.key = key
        self._apply = apply
        self._current = current

    def replace(self, entities: Sequence[Mapping[str, Any]]) -> int:
        return self._apply(self.key, [dict(entity) for entity in entities])

    def apply_delta(self, added: Sequence[Mapping[str, Any]] = (), removed: Sequence[str] = ()) -> int:
        gone = {ref.lower() for ref in removed}
        merged = {EntityRef.of(entity).key: dict(entity) for entity in self._current(self.key)}
        merged.update((EntityRef.of(dict(entity)).key, dict(entity)) for entity in added)
        return self._apply(self.key, [entity for ref, entity in merged.items() if ref not in gone])


@dataclass
class Context:
    """The ``PluginContext`` one plugin gets (see ``callboard.sdk.PluginContext``)."""

    plugin_id: str
    config: Any
    database: Database
    catalog: ServiceCatalogReader
    events: EventBus
    _audit: AuditLog
    _targets: Mapping[str, ClientTarget]
    #: The catalog as the current request's caller may read it.
    caller_catalog: ServiceCatalogReader
    _clock: Callable[[], float] = time.time
    _render: Callable[..., HTMLResponse] | None = None
    transport: httpx.BaseTransport | None = None

    def http_client(self, name: str) -> httpx.Client:
        return build_client(self._targets, name, on_write=self._audit_write(name), transport=self.transport)

    def vendor_client(
        self, name: str, base_url: str, headers: Mapping[str, str] | None = None, *, timeout_seconds: float = 30.0
    ) -> httpx.Client:
        target = ClientTarget(name, base_url, dict(headers or {}), timeout_seconds)
        return build_client({name: target}, name, on_write=self._audit_write(name), transport=self.transport)

    def _audit_write(self, name: str) -> Callable[[httpx.Request, httpx.Response], None]:
        def audit_write(request: httpx.Request, response: httpx.Response) -> None:
            self.audit(
                f"{self.plugin_id}.http.{request.method.lower()}",
                str(request.url.copy_with(query=None)),
                detail={"status": response.status_code, "client": name},
            )

        return audit_write

    def audit(self, action: str, target: str, outcome: str = "ok", detail: Mapping[str, Any] | None = None) -> None:
        identity = current_identity()
        actor = identity.subject if identity is not None and identity.signed_in else f"plugin:{self.plugin_id}"
        self._audit.record(actor, action, target, details={"outcome": outcome, **dict(detail or {})})

    def render(self, request: Request, template: str, **values: Any) -> HTMLResponse:
        if self._render is None:
            raise RuntimeError("pages render once the web app is built")
        return self._render(request, f"{self.plugin_id}/{template}", **values)

    def check_csrf(self, request: Request, form_token: str | None) -> None:
        verify_csrf(request, form_token)

    def now(self) -> float:
        return self._clock()


@dataclass
class BackendPlugins:
    """The live backend parts of every plugin, ready for the web app and the worker."""

    contexts: dict[str, Context]
    routes: dict[str, PluginRoutes]
    tasks: list[tuple[str, ScheduledTask]]
    providers: list[tuple[str, EntityProvider]]
    declarations: PluginDeclarations
    #: Each provider's connection by (plugin, provider id), for commands that run a provider themselves.
    connections: dict[tuple[str, str], _Provider] = field(default_factory=dict)
    #: Each plugin's health checks (plugin API 1.6), run when the Installed plugins page asks.
    health: dict[str, list[HealthCheck]] = field(default_factory=dict)

    def set_renderer(self, render: Callable[..., HTMLResponse]) -> None:
        for context in self.contexts.values():
            context._render = render


def assemble(
    plugins: PluginManager,
    declarations: PluginDeclarations,
    *,
    database: Database,
    catalog: ServiceCatalogReader,
    caller_catalog: ServiceCatalogReader,
    events: EventBus,
    audit: AuditLog,
    settings: Settings,
    endpoints: Sequence[Endpoint],
    scheduler: Scheduler,
    apply_provider: Callable[[str, list[Any]], int],
    provider_entities: Callable[[str], list[Any]],
    clock: Callable[[], float] = time.time,
) -> BackendPlugins:
    try:
        targets = dict(integration_targets(settings.integrations))
    except ValueError as error:  # a GitHub App without its key, a key that is not one
        origin = settings.loaded.origin(("integrations",)) if settings.loaded else "app-config"
        raise ConfigError(f"{origin}: {error}") from None
    for endpoint in endpoints:
        targets.setdefault(
            f"proxy:{endpoint.name}",
            ClientTarget(f"proxy:{endpoint.name}", endpoint.target, endpoint.headers, endpoint.timeout_seconds),
        )
    contexts = {
        info.name: Context(
            info.name,
            declarations.configs.get(info.name),
            database,
            catalog,
            events,
            audit,
            targets,
            caller_catalog,
            clock,
        )
        for info in plugins.plugins
    }
    routes: dict[str, PluginRoutes] = {}
    for plugin, found in plugins.per_plugin("register_routes", lambda name: {"context": contexts[name]}):
        if found is not None:
            check_id(plugin)
            routes[plugin] = found
    tasks: list[tuple[str, ScheduledTask]] = []
    for plugin, found_tasks in plugins.per_plugin("register_scheduled_tasks", lambda n: {"context": contexts[n]}):
        tasks.extend((plugin, task) for task in found_tasks or [])
    providers: list[tuple[str, EntityProvider]] = []
    for plugin, found_providers in plugins.per_plugin("register_entity_providers", lambda n: {"context": contexts[n]}):
        providers.extend((plugin, provider) for provider in found_providers or [])
    backend = BackendPlugins(contexts, routes, tasks, providers, declarations)
    for plugin, checks in plugins.per_plugin("register_health_checks", lambda n: {"context": contexts[n]}):
        backend.health[plugin] = list(checks or [])
    for plugin, task in tasks:
        scheduler.add(plugin, _namespaced(plugin, task))
    for plugin, provider in providers:
        connection = _Provider(f"{plugin}:{provider.id}", apply_provider, provider_entities)
        backend.connections[(plugin, provider.id)] = connection
        scheduler.add(
            plugin,
            ScheduledTask(
                id=f"{plugin}.provider.{provider.id}",
                run=_bind(provider.refresh, connection),
                every_seconds=provider.every_seconds,
                timeout_seconds=provider.timeout_seconds,
            ),
        )
    return backend


def _bind(refresh: Callable[[Any], object], connection: _Provider) -> Callable[[], object]:
    return lambda: refresh(connection)


def _namespaced(plugin: str, task: ScheduledTask) -> ScheduledTask:
    """Task ids are the plugin's own (``<plugin>.<id>``), so two plugins never collide."""
    return task if task.id.startswith(f"{plugin}.") else replace(task, id=f"{plugin}.{task.id}")


@dataclass(frozen=True)
class PluginReport:
    """One installed plugin as the plugins page and ``callboard plugins list`` show it."""

    name: str
    package: str
    version: str
    api: str
    routes: list[str]
    tables: list[str]
    tasks: list[str]
    permissions: list[str]
    config: str
    hooks: list[str]
    health_checks: int = 0


@dataclass(frozen=True)
class HealthReport:
    """One health check's outcome as the Installed plugins page shows it."""

    title: str
    ok: bool
    message: str


def run_health_checks(backend: BackendPlugins, plugin: str) -> list[HealthReport]:
    """Each of a plugin's checks, run now; a check that raises has failed with what it raised."""
    reports = []
    for check in backend.health.get(plugin, []):
        try:
            problem = check.check()
        except Exception as error:  # a plugin's bug or an unreachable vendor is the check's answer, not a 500
            log.warning("health check %s.%s raised", plugin, check.id, exc_info=True)
            problem = f"the check failed: {type(error).__name__}: {error}"
        reports.append(HealthReport(check.title, problem is None, problem or "ok"))
    return reports


def inventory(plugins: PluginManager, backend: BackendPlugins) -> list[PluginReport]:
    declarations = backend.declarations
    reports = []
    for info in plugins.plugins:
        declared = backend.routes.get(info.name)
        paths: list[str] = []
        if declared is not None:
            for prefix, router in ((f"/api/{info.name}", declared.api), (f"/{info.name}", declared.pages)):
                for route in getattr(router, "routes", []):
                    methods = ",".join(sorted(getattr(route, "methods", None) or []))
                    public = " (public)" if router is declared.api and route.path in declared.public else ""
                    paths.append(f"{methods} {prefix}{route.path}{public}")
        storage = declarations.storage.get(info.name)
        spec = declarations.config_specs.get(info.name)
        config = "none" if spec is None else f"valid ({spec.key or 'plugins.' + info.name})"
        reports.append(
            PluginReport(
                info.name,
                info.package,
                info.version,
                info.api,
                paths,
                sorted(storage.metadata.tables) if storage else [],
                sorted(
                    [_namespaced(plugin, task).id for plugin, task in backend.tasks if plugin == info.name]
                    + [f"{plugin}.provider.{p.id}" for plugin, p in backend.providers if plugin == info.name]
                ),
                [spec.name for spec in declarations.permissions.get(info.name, [])],
                config,
                plugins.hooks_of(info.name),
                len(backend.health.get(info.name, [])),
            )
        )
    return reports
