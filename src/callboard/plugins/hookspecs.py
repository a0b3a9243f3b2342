"""Every hook a Callboard plugin can implement: the whole extension contract in one file.

Registration hooks run once at start-up and return lists of small declarative objects; the registries they
fill are frozen afterwards. Each hook is documented for plugin authors in ``docs/plugins/`` (a test checks).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from typer import Typer

    from callboard.auth.api import PermissionPolicy
    from callboard.core.extensions import (
        EntityCard,
        EntityTab,
        HomeCard,
        KindDefinition,
        NavItem,
        PlaceholderResolverSpec,
    )
    from callboard.discovery.api import Detector
    from callboard.plugins.backend import (
        AuthProviderSpec,
        CatalogProcessor,
        CommandPortal,
        EntityProvider,
        HealthCheck,
        PermissionSpec,
        PluginConfig,
        PluginContext,
        PluginRoutes,
        PluginStorage,
        ScheduledTask,
    )
    from callboard.scaffolder.api import ScaffolderAction
    from callboard.search.api import Collator, SearchEngine
    from callboard.storage.db import Database
    from callboard.techdocs.api import Publisher

hookspec = pluggy.HookspecMarker("callboard")


@hookspec
def register_entity_kinds() -> list[KindDefinition]:  # type: ignore[empty-body]
    """Kinds this plugin adds to the catalog, each a JSON Schema for ``spec`` and the apiVersions it accepts.

    Entities of a registered kind validate like built-in ones. A kind already known may be registered again
    with a stricter schema: an entity must then satisfy every schema that claims it.
    """


@hookspec
def register_placeholder_resolvers() -> list[PlaceholderResolverSpec]:  # type: ignore[empty-body]
    """Extra ``$<key>`` placeholders for descriptor files, beside the built-in ``$text``, ``$json`` and ``$yaml``."""


@hookspec
def register_commands(cli: Typer, portal: CommandPortal) -> None:
    """Add commands to the ``callboard`` command line; ``cli`` is the root Typer application.

    ``portal.open(config_files)`` assembles the portal those app-config files describe in the command's own
    process, for commands that do a plugin's work there (plugin API 1.4): its context and provider connections.
    """


@hookspec
def register_entity_cards() -> list[EntityCard]:  # type: ignore[empty-body]
    """Cards for the Overview tab of entity pages; each says which entities it applies to."""


@hookspec
def register_entity_tabs() -> list[EntityTab]:  # type: ignore[empty-body]
    """Tabs of entity pages after Overview, ordered by weight; each says which entities it applies to."""


@hookspec
def register_home_cards() -> list[HomeCard]:  # type: ignore[empty-body]
    """Cards for the home page, after the portal's own, ordered by weight (plugin API 1.7)."""


@hookspec
def register_nav_items() -> list[NavItem]:  # type: ignore[empty-body]
    """Entries of the portal's sidebar."""


@hookspec(firstresult=True)
def permission_policy(config: dict[str, Any]) -> PermissionPolicy | None:
    """Replace the permission policy: return an object with ``decide(identity, permission) -> Decision``.

    ``config`` is ``permission`` from app-config. The first plugin that returns a policy wins; without one,
    Callboard's config-driven policy decides.
    """


@hookspec
def register_scaffolder_actions() -> list[ScaffolderAction]:  # type: ignore[empty-body]
    """Actions templates can call: ``ScaffolderAction(id, description, input_model, run, output_model, ...)``.

    ``input_model`` and ``output_model`` are pydantic models; ``run(context, input)`` gets an ``ActionContext``
    (the task's workspace, a logger, the catalog, secrets) and returns the output model. Ids are unique.
    """


@hookspec
def register_search_collators() -> list[Collator]:  # type: ignore[empty-body]
    """Extra sources of search documents: objects with ``type`` (e.g. ``"adr"``) and ``collect(catalog)``.

    ``collect`` gets a ``CatalogReader`` and returns every ``SearchDocument`` of its type; it runs every ten
    minutes and what it no longer returns is removed.
    Set ``resource_ref`` on a document to the entity whose read permission decides who may see it.
    """


@hookspec(firstresult=True)
def search_engine(config: dict[str, Any], database: Database) -> SearchEngine | None:
    """Replace where search documents are indexed: return a ``SearchEngine`` (e.g. one for OpenSearch).

    ``config`` is ``search`` from app-config, ``database`` Callboard's ``Database``. Without a plugin,
    the index lives in the database: SQLite FTS5 or PostgreSQL full-text search.
    """


@hookspec(firstresult=True)
def docs_publisher(config: dict[str, Any], data_dir: Path) -> Publisher | None:
    """Where TechDocs sites are kept: return a ``Publisher`` for ``config["publisher"]["type"]`` or None.

    ``config`` is ``techdocs`` from app-config (Backstage's key), ``data_dir`` Callboard's data folder. The
    first plugin that answers wins; the built-in one answers for ``local`` (the default).
    """


@hookspec
def register_discovery_detectors() -> list[Detector]:  # type: ignore[empty-body]
    """Detectors for the inferred catalog: objects with an ``id`` and ``detect(repo) -> list[Fact]``.

    ``repo`` is a ``RepoView`` (``files``, ``glob(*patterns)``, ``text(path)``, ``exists(path)`` and the
    ``repository``); each ``Fact`` names the component folder, the entity field, the value, a confidence
    from 0 to 1, the file and a sentence saying why. Ids are unique.
    """


# -- backend plugins ---------------------------------------------------------------------------------------
# These run once at start-up, in this order: config, storage and permissions first (declarations), then the
# hooks that receive the plugin's ``PluginContext``.


@hookspec
def register_auth_providers() -> list[AuthProviderSpec]:  # type: ignore[empty-body]
    """Ways to sign in, each configured under ``auth.providers.<id>``; OIDC and GitHub are built in this way."""


@hookspec
def register_catalog_processors() -> list[CatalogProcessor]:  # type: ignore[empty-body]
    """Stages of catalog processing: change an entity before validation, or emit relations, problems and
    extra entities after it. Ids are unique; processors run in plugin order."""


@hookspec
def register_config() -> PluginConfig | None:
    """The plugin's settings model, validated from ``plugins.<id>`` (or a claimed top-level key) at start-up.

    A value that does not fit stops start-up with the file, the key and pydantic's reason.
    """


@hookspec
def register_storage() -> PluginStorage | None:
    """The plugin's own tables and their Alembic migrations, run in the plugin's own history."""


@hookspec
def register_permissions() -> list[PermissionSpec]:  # type: ignore[empty-body]
    """Permissions the plugin checks (``<plugin id>.<resource>.<action>`` or ``<plugin id>.<action>``), usable
    in ``permission.rules``."""


@hookspec
def register_routes(context: PluginContext) -> PluginRoutes | None:
    """An API router mounted under ``/api/<plugin id>/`` and pages under ``/<plugin id>/``; signed in by default."""


@hookspec
def register_scheduled_tasks(context: PluginContext) -> list[ScheduledTask]:  # type: ignore[empty-body]
    """Work on a schedule; ``scope="global"`` runs on one replica at a time."""


@hookspec
def register_entity_providers(context: PluginContext) -> list[EntityProvider]:  # type: ignore[empty-body]
    """Providers that push full or delta mutations of the entities they own into the catalog."""


@hookspec
def register_health_checks(context: PluginContext) -> list[HealthCheck]:  # type: ignore[empty-body]
    """Checks of what the plugin needs from outside (a credential, a vendor's reachability), run when an
    administrator views the Installed plugins page; plugin API 1.6."""


@hookspec
def startup(context: PluginContext) -> None:
    """Called once the portal is assembled, before it serves requests or runs tasks."""


@hookspec
def stopping(context: PluginContext) -> None:
    """Called as the portal begins to stop, before it waits for scheduled runs in progress: end long runs now
    (a watch that runs for minutes). Plugin API 1.10."""


@hookspec
def shutdown(context: PluginContext) -> None:
    """Called when the portal stops, after tasks have stopped."""
