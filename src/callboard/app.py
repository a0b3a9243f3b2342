"""The composition root: builds every part of Callboard from settings and plugins, and nothing else does."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError

from callboard.app_metrics import PortalParts, portal_registry
from callboard.app_plugins import (
    BackendPlugins,
    assemble,
    inventory,
    migrate_plugins,
    run_health_checks,
    unknown_policy_permissions,
)
from callboard.assembly import Callboard
from callboard.auth.api import current_access
from callboard.auth.audit import AuditLog
from callboard.auth.config import AuthConfig, BackendAuthConfig, PermissionConfig
from callboard.auth.policy import ConfigPolicy, PermissionPolicy
from callboard.auth.service import AuthService, AuthSetupError
from callboard.auth.tokens import TokenService
from callboard.catalog.api import ENTITY_CHANGED, ENTITY_REMOVED
from callboard.catalog.engine import CatalogEngine, EngineSettings
from callboard.catalog.processing import ItemProcessor
from callboard.catalog.providers import LocationSpec
from callboard.catalog.reader import ServiceCatalogReader
from callboard.catalog.reading import LocationReader, ReaderConfig
from callboard.catalog.results import CatalogPolicy
from callboard.catalog.rules import CatalogRules
from callboard.catalog.secured import SecuredCatalog
from callboard.catalog.service import CatalogService
from callboard.config_loader import ConfigError
from callboard.core.entity import EntityRef
from callboard.core.errors import NotAllowedError
from callboard.core.permissions import SYSTEM
from callboard.discovery.api import source_status
from callboard.discovery.config import parse_sources
from callboard.discovery.provider import DiscoveryProvider, providers_from
from callboard.discovery.store import DatabaseState
from callboard.events.api import EventBus
from callboard.people.api import Marks
from callboard.plugins.backend import ScheduledTask
from callboard.proxy.endpoints import ProxyConfigError, parse_endpoints
from callboard.scaffolder.runner import Runner
from callboard.scaffolder.secured import SecuredTasks
from callboard.scaffolder.service import ScaffolderService
from callboard.scaffolder.tasks import TaskService
from callboard.scheduler.api import Scheduler
from callboard.search.engine import SearchEngine
from callboard.search.indexer import SearchIndexer
from callboard.search.service import SearchService
from callboard.search.store import engine_for
from callboard.settings import Settings
from callboard.sources.git import GitCache
from callboard.storage.db import Database, database_url
from callboard.storage.migrate import upgrade
from callboard.techdocs.api import Publisher
from callboard.techdocs.service import TechDocsService
from callboard.tracing import tracer_provider
from callboard.web.http_protocol import BoundedHttpToolsProtocol
from callboard.web.server import REQUEST_THREADS, WebParts, build_web_app

log = logging.getLogger(__name__)

#: The HTTP protocol uvicorn serves the portal with (``uvicorn.Config(http=...)``): httptools, its request
#: heads bounded. ``callboard serve`` and the SDK's test servers use the same.
HTTP_PROTOCOL = BoundedHttpToolsProtocol


@dataclass
class Runtime:
    """A running catalog: database, engine, service and the web application."""

    callboard: Callboard
    database: Database
    engine: CatalogEngine
    catalog: CatalogService
    web: FastAPI
    reader: LocationReader
    auth: AuthService
    audit: AuditLog
    tasks: TaskService
    search: SearchService
    indexer: SearchIndexer
    techdocs: TechDocsService
    discovery: list[DiscoveryProvider]
    scheduler: Scheduler
    events: EventBus
    backend: BackendPlugins

    def start_background(self) -> None:
        """Everything a worker runs: catalog processing, scaffolder tasks, search indexing, discovery,
        scheduled tasks and entity providers, and events from other replicas."""
        self.engine.start()
        self.tasks.start()
        self.indexer.start()
        self.events.start()
        self.scheduler.start()

    def close(self) -> None:
        # Plugins hear that the portal is stopping before the scheduler waits for the runs in progress: a long run
        # (the deployments plugin's watch of its clusters) ends when told, and without being told it held every
        # stop of the demo for the scheduler's full 10 s. Their ``shutdown`` comes after the runs have ended.
        self.scheduler.stop_starting()
        for plugin, _ in self.callboard.plugins.per_plugin(
            "stopping", lambda name: {"context": self.backend.contexts[name]}
        ):
            log.info("plugin %s told the portal is stopping", plugin)
        self.scheduler.finish_runs()
        self.events.stop()
        for plugin, _ in self.callboard.plugins.per_plugin(
            "shutdown", lambda name: {"context": self.backend.contexts[name]}
        ):
            log.info("plugin %s shut down", plugin)
        self.indexer.stop()
        self.tasks.stop()
        self.engine.stop()
        self.reader.close()
        self.database.dispose()


def request_threads(environ: Mapping[str, str]) -> int:
    """The web server's request threads: ``CALLBOARD_REQUEST_THREADS`` (1 to 256) where it is set."""
    raw = environ.get("CALLBOARD_REQUEST_THREADS", "").strip()
    if not raw:
        return REQUEST_THREADS
    if not raw.isdigit() or not 1 <= int(raw) <= 256:
        raise ConfigError(
            f"CALLBOARD_REQUEST_THREADS must be a whole number from 1 to 256, not {raw!r}; "
            f"unset it for the default of {REQUEST_THREADS}"
        )
    return int(raw)


def _config_locations(settings: Settings, cwd: Path) -> list[LocationSpec]:
    found = []
    for location in settings.catalog.locations:
        target = location.target
        if location.type == "file" and not Path(target).is_absolute():
            target = str((cwd / target).resolve())
        found.append(LocationSpec(location.type, target))
    return found


def create_runtime(
    callboard: Callboard, *, cwd: Path | None = None, migrate: bool = True, clock: Callable[[], float] = time.time
) -> Runtime:
    """Open the database (migrating it), and build the engine, the catalog service and the web app."""
    settings = callboard.settings
    cwd = cwd or Path.cwd()
    data_dir = (cwd / settings.data_dir).resolve()
    database = Database(database_url(settings.backend.database, data_dir))
    if migrate:
        upgrade(database)
        migrate_plugins(database, callboard.declarations)
    reader = LocationReader(ReaderConfig.from_config(settings.backend.model_dump(by_alias=True), settings.integrations))
    catalog_config = settings.catalog.model_dump(by_alias=True)
    locations = _config_locations(settings, cwd)
    for item, location in zip(catalog_config.get("locations") or [], locations, strict=False):
        item["target"] = location.target
    processor = ItemProcessor(
        callboard.kinds,
        reader,
        CatalogRules.from_config(catalog_config),
        settings.catalog.limits.descriptor_limits(),
        callboard.plugins.catalog_processors(),
    )
    engine = CatalogEngine(
        database,
        processor,
        EngineSettings(
            interval_seconds=settings.catalog.interval_seconds(),
            orphan_strategy=settings.catalog.orphan_strategy,
            batch_size=settings.catalog.processing.batch_size,
            lease_seconds=settings.catalog.processing.lease_seconds,
        ),
    )
    policy = CatalogPolicy(
        allowed_location_types=tuple(settings.catalog.allowed_location_types),
        readonly=settings.catalog.readonly,
        config_locations=locations,
        example_urls=tuple(settings.catalog.import_.example_urls),
    )
    catalog = CatalogService(database, processor, engine, policy)
    plugins = callboard.plugins
    audit = AuditLog(database)
    # Every reader outside this function goes through the secured catalog; the portal's own background
    # readers (sign-in, the indexer, plugins' tasks and collators) act as SYSTEM.
    secured = SecuredCatalog(catalog, current_access, audit)
    as_portal = secured.acting_as(SYSTEM)
    auth_config = settings.section(AuthConfig, settings.auth, ("auth",))
    permission = settings.section(PermissionConfig, settings.permission, ("permission",))
    hooked = plugins.hook.permission_policy(config=permission.model_dump())
    permission_policy: PermissionPolicy = hooked or ConfigPolicy(
        permission,
        callboard.declarations.entity_permission_names(),
        opt_in=callboard.declarations.opt_in_permission_names(),
    )
    tokens = TokenService(
        database,
        issuer=f"{settings.backend.base_url.rstrip('/')}/api/auth",
        lifetime_seconds=auth_config.token_lifetime_hours * 3600,
    )
    try:
        auth = AuthService(
            auth_config,
            settings.section(BackendAuthConfig, settings.backend.auth, ("backend", "auth")),
            tokens,
            ServiceCatalogReader(as_portal),
            permission_policy,
            plugins.auth_providers(),
        )
    except AuthSetupError as error:
        raise ConfigError(f"{settings.origin(('auth', 'providers'))}: {error}") from None
    for provider_id in auth.unavailable:
        log.warning(
            "%s: auth.providers.%s: no installed plugin signs in with %r; it is not offered (install one that "
            "does, or remove the key)",
            settings.origin(("auth", "providers", provider_id)),
            provider_id,
            provider_id,
        )
    try:
        endpoints = parse_endpoints(settings.proxy)
    except ProxyConfigError as error:
        raise ConfigError(f"{settings.origin(('proxy',))}: {error}") from None
    for warning in unknown_policy_permissions(settings, permission.rules, callboard.declarations, endpoints):
        log.warning("%s", warning)
    actions = plugins.scaffolder_actions()
    runner = Runner(
        actions,
        limits=settings.scaffolder.limits.render_limits(),
        allow_local_remotes=settings.scaffolder.allow_local_git_remotes,
    )
    scaffolder = ScaffolderService(actions, settings.integrations, runner)
    tasks = TaskService(
        database,
        runner,
        work_dir=data_dir / "scaffolder",
        integrations=settings.integrations,
        catalog_for=lambda identity: TemplateCatalog(
            secured.acting_as(auth.access(identity)), catalog, data_dir / "published"
        ),
    )
    search_engine: SearchEngine = plugins.hook.search_engine(config=settings.search, database=database) or engine_for(
        database
    )
    publisher = docs_publisher(callboard, data_dir)
    indexer = SearchIndexer(
        search_engine,
        as_portal,
        publisher,
        plugins.search_collators(),
        reader=ServiceCatalogReader(as_portal),
    )
    search = SearchService(search_engine)
    scheduler = Scheduler(database, clock=clock)
    metrics, audit_metrics = portal_registry(
        PortalParts(catalog.status, as_portal.total, indexer.lag_seconds, scheduler.status, tasks.counts_by_status)
    )
    audit.observers.append(audit_metrics)
    git = GitCache(data_dir / "git", token_for=reader.token_for)
    techdocs = TechDocsService(publisher, on_published=indexer.docs_published, git=git, allowed=reader.allows)
    try:
        sources = parse_sources(settings.catalog.providers.get("discovery"), cwd)
    except (ValueError, ValidationError) as error:
        raise ConfigError(f"{settings.origin(('catalog', 'providers'))}: {error}") from None
    discovery_state = DatabaseState(database)
    discovery = providers_from(sources, plugins.discovery_detectors(), discovery_state, catalog.apply_provider, git)
    events = EventBus(database, scheduler.replica, clock=clock)
    database.after_commit(_catalog_events(events))
    for provider in discovery:
        # Discovery is an entity provider like a plugin's: one scan at a time across replicas, runs recorded.
        scheduler.add(
            "discovery",
            ScheduledTask(
                f"discovery.{provider.source_id}",
                provider.scheduled,
                every_seconds=provider.config.schedule.seconds(),
                timeout_seconds=max(600.0, provider.config.schedule.seconds()),
            ),
        )
    backend = assemble(
        plugins,
        callboard.declarations,
        database=database,
        catalog=ServiceCatalogReader(as_portal),
        caller_catalog=ServiceCatalogReader(secured),
        events=events,
        audit=audit,
        settings=settings,
        endpoints=endpoints,
        scheduler=scheduler,
        apply_provider=catalog.apply_provider,
        provider_entities=catalog.provider_entities,
        clock=clock,
    )
    web = build_web_app(
        WebParts(
            catalog=secured,
            auth=auth,
            audit=audit,
            title=settings.app.title,
            base_url=settings.app.base_url,
            proxy_endpoints=endpoints,
            scaffolder=scaffolder,
            tasks=SecuredTasks(tasks, scaffolder, current_access),
            techdocs=techdocs,
            search=search,
            cards=plugins.entity_cards(),
            tabs=plugins.entity_tabs(),
            nav=plugins.nav_items(),
            limits=settings.backend.limits.request_limits(),
            plugin_routes=backend.routes,
            on_pages=backend.set_renderer,
            plugin_inventory=lambda: inventory(plugins, backend),
            plugin_health=lambda plugin: run_health_checks(backend, plugin),
            discovery_status=lambda: [
                source_status(p.source_id, p.config.default_owner, discovery_state, catalog.provider_entities)
                for p in discovery
            ],
            scheduler=scheduler,
            request_threads=request_threads(os.environ),
            on_start=[database.open_async],
            home_cards=plugins.home_cards(),
            marks=Marks(database),
            csp=settings.backend.csp,
            metrics=metrics,
            tracer_provider=(tracing := tracer_provider()),
            on_stop=[database.close_async, *([_flush(tracing)] if tracing else [])],
        )
    )
    runtime = Runtime(
        callboard,
        database,
        engine,
        catalog,
        web,
        reader,
        auth,
        audit,
        tasks,
        search,
        indexer,
        techdocs,
        discovery,
        scheduler,
        events,
        backend,
    )
    plugins.per_plugin("startup", lambda name: {"context": backend.contexts[name]})
    return runtime


class TemplateCatalog:
    """What scaffolder actions may do with the catalog (``catalog:register``, ``catalog:fetch``), as the user
    who created the task: the same secured catalog the API uses checks their permissions and audits in
    their name."""

    def __init__(self, catalog: SecuredCatalog, service: CatalogService, published: Path) -> None:
        self._catalog = catalog
        self._service = service
        self._published = published.resolve()

    def register(self, location_type: str, target: str) -> list[str]:
        # A file location is registered only inside the folder publish:file writes to: a template may not
        # point the catalog at other files on the server.
        inside = location_type == "file" and self._published in Path(target).resolve().parents
        if location_type == "file" and not inside:
            raise NotAllowedError(f"catalog:register may only register files under {self._published}")
        self._catalog.add_location(location_type, target, dry_run=False, any_type=inside, via="scaffolder")
        previews = self._service.preview_location(location_type, target)
        # Entities with problems (no name) still count as registered; only well-formed ones have a ref.
        return [EntityRef.of(p.entity).key for p in previews[1:] if (p.entity.get("metadata") or {}).get("name")]

    def entity(self, ref: str) -> Any:
        return self._catalog.entities_by_refs([ref], (), ())[0]


#: Entity refs per catalog event: a bulk load becomes a few hundred events, not one per entity.
CATALOG_EVENT_REFS = 500


def _catalog_events(events: EventBus) -> Callable[[Mapping[str, set[str]]], None]:
    """Publish the catalog's committed changes as events (``catalog.entity.changed`` / ``.removed``)."""

    def publish(notes: Mapping[str, set[str]]) -> None:
        for topic in (ENTITY_CHANGED, ENTITY_REMOVED):
            refs = sorted(notes.get(topic, ()))
            for start in range(0, len(refs), CATALOG_EVENT_REFS):
                events.publish(topic, {"entityRefs": refs[start : start + CATALOG_EVENT_REFS]})

    return publish


def docs_publisher(callboard: Callboard, data_dir: Path) -> Publisher:
    """The publisher ``techdocs.publisher.type`` names, from the plugin that answers for it (local: built in)."""
    settings = callboard.settings
    techdocs_config = dict((settings.model_extra or {}).get("techdocs") or {})
    found: Publisher | None = callboard.plugins.hook.docs_publisher(config=techdocs_config, data_dir=data_dir)
    if found is None:
        kind = (techdocs_config.get("publisher") or {}).get("type")
        raise ConfigError(
            f"{settings.origin(('techdocs', 'publisher', 'type'))}: techdocs.publisher.type {kind!r}: no installed "
            "plugin keeps docs there; install one that does, or use local"
        )
    return found


def _flush(provider: Any) -> Callable[[], Awaitable[None]]:
    """Send the spans still buffered when the server stops."""

    async def flush() -> None:
        provider.shutdown()

    return flush
