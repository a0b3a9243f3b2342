"""What a backend plugin declares (config, tables, permissions, routes, tasks, providers) and what it is given.

Each registration hook returns these small frozen objects; ``PluginContext`` is the one object a plugin's
backend code receives, the way Backstage hands a plugin its core services: its own validated config, its own
tables, the catalog as the plugin's service identity, credentialed HTTP clients, events, audit and a clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    import httpx
    from fastapi import APIRouter, Request
    from fastapi.responses import HTMLResponse
    from pydantic import BaseModel
    from sqlalchemy import Connection, MetaData

#: Plugin ids are URL and table-name safe: ``/api/<id>/``, ``alembic_version_<id>``, ``<id>.<resource>.<action>``.
PLUGIN_ID = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class PluginConfig:
    """The plugin's settings: ``model`` (pydantic) validated at start-up from ``plugins.<id>`` in app-config.

    ``key`` claims a top-level key instead (a Backstage plugin's own, such as ``announcements``). ``secrets``
    name fields that ``callboard config print`` shows as ``<redacted>`` (dotted for nested ones:
    ``github.webhookSecret``). ``shared_keys`` are keys the plugin reads as well as its own, such as Backstage's
    ``kubernetes`` (plugin API 1.3) or a dotted path such as ``catalog.providers.ldapOrg`` (1.8), so an adopter's
    config carries over: each arrives in the model as a field named by its last part (``ldapOrg``).
    """

    model: type[BaseModel]
    key: str | None = None
    secrets: Sequence[str] = ()
    shared_keys: Sequence[str] = ()


@dataclass(frozen=True)
class PluginStorage:
    """The plugin's own tables: their SQLAlchemy ``metadata`` and a folder of Alembic revision files.

    The revisions run in their own history (version table ``alembic_version_<plugin id>``) at start-up and in
    ``callboard db upgrade``, on SQLite and PostgreSQL. Uninstalling the plugin leaves its tables alone.
    """

    metadata: MetaData
    migrations: Path


@dataclass(frozen=True)
class PermissionSpec:
    """A permission the plugin checks, named ``<plugin id>.<resource>.<action>`` (or ``<plugin id>.<action>``);
    config policies grant it."""

    name: str
    description: str
    #: What the permission lets people do; where no rule names it, ``permission.defaultDecision`` decides.
    action: Literal["read", "create", "update", "delete", "use"] = "read"
    #: "catalog-entity": a permission about one entity (re-run its build, page its on-call), so rules may carry
    #: conditions (isEntityOwner, hasAnnotation...) and the plugin asks ``decide_for_entity`` (plugin API 1.5).
    resource: Literal["catalog-entity"] | None = None
    #: Granted only by a rule, whatever the default decision: for actions that reach outside the portal (re-run a
    #: build, page whoever is on call), so that installing a plugin never hands everyone a button (plugin API 1.6).
    opt_in: bool = False


@dataclass(frozen=True)
class PluginRoutes:
    """An API router mounted under ``/api/<plugin id>/`` and, optionally, pages under ``/<plugin id>/``.

    Every route needs a signed-in caller unless its path (relative to the router, e.g. ``/health``) is in
    ``public``. Page handlers render their templates (from ``templates``) in the portal's layout with
    ``context.render``; files in ``static`` are served at ``/<plugin id>/static/``.
    """

    api: APIRouter | None = None
    pages: APIRouter | None = None
    public: Sequence[str] = ()
    templates: Path | None = None
    static: Path | None = None


@dataclass(frozen=True)
class ScheduledTask:
    """Work that runs on a schedule: every ``every_seconds`` or on a five-field ``cron`` expression (UTC).

    ``scope="global"`` runs once across all replicas (a lease in the database; another replica takes over
    when the holder dies); ``"local"`` runs on each replica. A run longer than ``timeout_seconds`` is
    reported as timed out and its lease released. Runs are recorded: ``callboard tasks`` and the Tasks page.
    """

    id: str
    run: Callable[[], object]
    every_seconds: float | None = None
    cron: str | None = None
    timeout_seconds: float = 300.0
    scope: Literal["global", "local"] = "global"
    initial_delay_seconds: float = 0.0


class ProviderConnection(Protocol):
    """What an entity provider writes through; its entities carry its provider key (``<plugin>:<id>``)."""

    def replace(self, entities: Sequence[Mapping[str, Any]]) -> int:
        """A full mutation: these are all the provider's entities; ones it no longer gives become orphans."""

    def apply_delta(self, added: Sequence[Mapping[str, Any]] = (), removed: Sequence[str] = ()) -> int:
        """A delta mutation: add or update ``added``, stop providing the entity refs in ``removed``."""


class PortalSession(Protocol):
    """The portal a command opened: a plugin's context, and its entity providers' connections (plugin API 1.4)."""

    def context(self, plugin_id: str) -> PluginContext: ...

    def provider(self, plugin_id: str, provider_id: str) -> ProviderConnection:
        """The connection ``provider_id`` of ``plugin_id`` writes through when the scheduler runs it."""


class CommandPortal(Protocol):
    """Given to ``register_commands``: opens the portal that app-config files describe (the ones
    ``--config`` names, else those ``callboard serve`` would read), in the command's process."""

    def open(self, config: Sequence[Path] | None = None) -> AbstractContextManager[PortalSession]: ...


@dataclass(frozen=True)
class EntityProvider:
    """Pushes entities into the catalog, like Backstage's ``EntityProvider.connect()``.

    ``refresh(connection)`` runs on the schedule (global scope: one replica at a time) and writes full or
    delta mutations; its last run (when, how many changed, errors) is recorded like a scheduled task's.
    """

    id: str
    refresh: Callable[[ProviderConnection], object]
    every_seconds: float = 600.0
    timeout_seconds: float = 300.0


@dataclass(frozen=True)
class HealthCheck:
    """A check shown to administrators on the Installed plugins page (plugin API 1.6).

    ``check()`` returns None when all is well, else what is wrong and how to fix it, in words an administrator
    acts on ("GitHub refused the credential of integrations.github[github.com] (HTTP 401): replace it"); an
    exception is shown as the check's failure. Checks run when the page is viewed, after it has loaded.
    """

    id: str
    title: str
    check: Callable[[], str | None]


@dataclass
class ProcessorResult:
    """What a processor adds for one entity: relations from it (type, target ref, reverse type), problems
    (as for a broken descriptor: shown on the entity, whose last good version is served until they are
    gone), and extra entities it owns (orphaned when no longer emitted, like a location's)."""

    relations: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogProcessor:
    """A stage of catalog processing, like Backstage's ``CatalogProcessor``.

    ``preprocess(entity)`` returns the entity to validate (it gets a copy and may change it);
    ``postprocess(entity, result)`` sees the validated entity and adds to ``result``. Both run every time
    the entity's input changes and must depend on nothing else (an unchanged entity is not processed again).
    An exception is an error on the entity, named with the processor.
    """

    id: str
    preprocess: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    postprocess: Callable[[Mapping[str, Any], ProcessorResult], None] | None = None


@dataclass(frozen=True)
class AuthProviderSpec:
    """A way to sign in, configured under ``auth.providers.<id>`` (Backstage's keys: ``oidc``, ``github``...).

    ``create(settings)`` gets that provider's settings for the current ``auth.environment`` and returns an
    ``AuthProvider`` (``authorize_url(redirect_uri, flow)`` and ``finish(code, redirect_uri, flow)`` giving
    a ``Profile``); a setting that does not fit should raise ``ValueError`` or a pydantic error.
    """

    id: str
    title: str
    create: Callable[[Mapping[str, Any]], Any]


class Events(Protocol):
    """Publish and subscribe by topic, inside this process and (through the database) across replicas."""

    def publish(self, topic: str, payload: Mapping[str, Any]) -> None: ...

    def subscribe(self, topic: str, handler: Callable[[str, Mapping[str, Any]], None]) -> None: ...


class PluginDatabase(Protocol):
    """The plugin's tables live in Callboard's database; these open connections to it."""

    @property
    def is_sqlite(self) -> bool: ...

    def transaction(self) -> AbstractContextManager[Connection]: ...

    def connect(self) -> AbstractContextManager[Connection]: ...


class PluginCatalog(Protocol):
    """The catalog as the plugin's background code sees it (reads as the plugin's service identity)."""

    def entity(self, ref: str) -> Mapping[str, Any] | None: ...

    def entities(self, refs: Sequence[str]) -> dict[str, Mapping[str, Any]]: ...

    def find(self, filters: Mapping[str, str | Sequence[str]], *, limit: int = 100) -> list[Mapping[str, Any]]: ...

    def count(self, filters: Mapping[str, str | Sequence[str]]) -> int: ...

    def counts(self, key: str, filters: Mapping[str, str | Sequence[str]]) -> list[tuple[str, int]]:
        """The values of ``key`` among matching entities, each with how many have it (plugin API 1.2)."""


class PluginContext(Protocol):
    """Everything a plugin's backend code is given; the same object reaches every backend hook."""

    @property
    def plugin_id(self) -> str: ...

    @property
    def config(self) -> Any:
        """The validated config model instance (None without ``register_config``)."""

    @property
    def database(self) -> PluginDatabase: ...

    @property
    def catalog(self) -> PluginCatalog:
        """The catalog as the portal reads it: every entity (for background work, tasks and providers)."""

    @property
    def caller_catalog(self) -> PluginCatalog:
        """The catalog as the current request's caller may read it: what their permissions hide is absent.
        Outside a request there is no caller, and reading refuses. Plugin API 1.2."""

    @property
    def events(self) -> Events: ...

    def http_client(self, name: str) -> httpx.Client:
        """A client for an integration host (``integrations.github`` ...) or proxy endpoint, its credentials
        attached on the server; timeouts, retries with backoff, and every write call audited."""

    def vendor_client(
        self, name: str, base_url: str, headers: Mapping[str, str] | None = None, *, timeout_seconds: float = 30.0
    ) -> httpx.Client:
        """A client for a vendor whose address and credentials the plugin's own config holds (PagerDuty's
        ``pagerDuty.apiToken``, Jira's ``jira.token``): the same retries, timeouts and audited writes as
        ``http_client``, the headers kept on the server; ``name`` says which in the audit log. Plugin API 1.6."""

    def audit(self, action: str, target: str, outcome: str = "ok", detail: Mapping[str, Any] | None = None) -> None:
        """Record an action in the audit log, as the caller of the current request or as the plugin."""

    def render(self, request: Request, template: str, **values: Any) -> HTMLResponse:
        """A page of the plugin's templates in the portal's layout (sidebar, header, theme)."""

    def check_csrf(self, request: Request, form_token: str | None) -> None:
        """Refuse a form post signed in by cookie without the page's CSRF token (``csrf_token`` in templates)."""

    def now(self) -> float:
        """The time, from the portal's clock (tests replace it)."""


def public_paths(plugin_id: str, routes: PluginRoutes) -> Iterator[str]:
    """Absolute paths of the routes a plugin declared public (what the sign-in middleware lets through)."""
    for path in routes.public:
        yield f"/api/{plugin_id}/{path.lstrip('/')}"
