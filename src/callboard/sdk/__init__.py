"""The stable surface for plugin authors: import from here, not from Callboard's internals.

Everything here comes from the features' public faces (``callboard/<feature>/api.py``) or the shared
vocabulary in ``callboard.core``; the built-in plugins import nothing else, and import-linter checks it.
Every name listed in ``__all__`` is covered by the plugin API version (``PLUGIN_API_VERSION``): a test
snapshots their signatures and fails when one changes without a new version.
"""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

# Listed for type checkers and import-linter; each name's module is imported when a plugin first uses it.
if TYPE_CHECKING:
    from callboard import hookimpl
    from callboard.auth.api import (
        ALLOW,
        DENY,
        Access,
        Decision,
        Identity,
        Profile,
        current_access,
        current_identity,
        github_provider,
        oidc_provider,
    )
    from callboard.auth.api import Flow as SignInFlow
    from callboard.auth.api import Provider as AuthProvider
    from callboard.catalog.api import ENTITY_CHANGED as CATALOG_ENTITY_CHANGED
    from callboard.catalog.api import ENTITY_REMOVED as CATALOG_ENTITY_REMOVED
    from callboard.core.entity import DEFAULT_NAMESPACE, Entity, EntityRef, EntityRefError, kind_plural
    from callboard.core.errors import ConflictError, InputError, NotAllowedError, NotFoundError
    from callboard.core.extensions import (
        CatalogReader,
        EntityCard,
        EntityContext,
        EntityTab,
        HomeCard,
        HomeContext,
        KindDefinition,
        KindRelation,
        NavItem,
        PlaceholderResolverSpec,
    )
    from callboard.core.highlight import highlight
    from callboard.core.relations import (
        API_CONSUMED_BY,
        API_PROVIDED_BY,
        CHILD_OF,
        CONSUMES_API,
        DEPENDENCY_OF,
        DEPENDS_ON,
        HAS_MEMBER,
        HAS_PART,
        MEMBER_OF,
        OWNED_BY,
        OWNER_OF,
        PARENT_OF,
        PART_OF,
        PROVIDES_API,
        relation_targets,
    )
    from callboard.core.relations import REVERSE as RELATION_REVERSE
    from callboard.core.schedule import TaskSchedule
    from callboard.core.upstream import Fetched, UpstreamCache, UpstreamError, check_response
    from callboard.discovery.api import Fact, RepoView, entity_name
    from callboard.plugins import PLUGIN_API_VERSION
    from callboard.plugins.backend import (
        AuthProviderSpec,
        CatalogProcessor,
        CommandPortal,
        EntityProvider,
        Events,
        HealthCheck,
        PermissionSpec,
        PluginCatalog,
        PluginConfig,
        PluginContext,
        PluginDatabase,
        PluginRoutes,
        PluginStorage,
        PortalSession,
        ProcessorResult,
        ProviderConnection,
        ScheduledTask,
    )
    from callboard.scaffolder.api import (
        ActionContext,
        ActionInput,
        NoOutput,
        ScaffolderAction,
        check_tree,
        make_environment,
        parse_repo_url,
        safe_child,
    )
    from callboard.sdk.entity_permissions import decide_for_entity
    from callboard.search.api import SearchDocument
    from callboard.sources.api import GitError, check_branch, check_remote, run_git
    from callboard.techdocs.api import LocalPublisher
    from callboard.techdocs.api import Publisher as DocsPublisher

__all__ = [
    "ALLOW",
    "API_CONSUMED_BY",
    "API_PROVIDED_BY",
    "CATALOG_ENTITY_CHANGED",
    "CATALOG_ENTITY_REMOVED",
    "CHILD_OF",
    "CONSUMES_API",
    "DEFAULT_NAMESPACE",
    "DENY",
    "DEPENDENCY_OF",
    "DEPENDS_ON",
    "HAS_MEMBER",
    "HAS_PART",
    "MEMBER_OF",
    "OWNED_BY",
    "OWNER_OF",
    "PARENT_OF",
    "PART_OF",
    "PLUGIN_API_VERSION",
    "PROVIDES_API",
    "RELATION_REVERSE",
    "Access",
    "ActionContext",
    "ActionInput",
    "AuthProvider",
    "AuthProviderSpec",
    "CatalogProcessor",
    "CatalogReader",
    "CommandPortal",
    "ConflictError",
    "Decision",
    "DocsPublisher",
    "Entity",
    "EntityCard",
    "EntityContext",
    "EntityProvider",
    "EntityRef",
    "EntityRefError",
    "EntityTab",
    "Events",
    "Fact",
    "Fetched",
    "GitError",
    "HealthCheck",
    "HomeCard",
    "HomeContext",
    "Identity",
    "InputError",
    "KindDefinition",
    "KindRelation",
    "LocalPublisher",
    "NavItem",
    "NoOutput",
    "NotAllowedError",
    "NotFoundError",
    "PermissionSpec",
    "PlaceholderResolverSpec",
    "PluginCatalog",
    "PluginConfig",
    "PluginContext",
    "PluginDatabase",
    "PluginRoutes",
    "PluginStorage",
    "PortalSession",
    "ProcessorResult",
    "Profile",
    "ProviderConnection",
    "RepoView",
    "ScaffolderAction",
    "ScheduledTask",
    "SearchDocument",
    "SignInFlow",
    "TaskSchedule",
    "UpstreamCache",
    "UpstreamError",
    "check_branch",
    "check_remote",
    "check_response",
    "check_tree",
    "current_access",
    "current_identity",
    "decide_for_entity",
    "entity_name",
    "github_provider",
    "highlight",
    "hookimpl",
    "kind_plural",
    "make_environment",
    "oidc_provider",
    "parse_repo_url",
    "relation_targets",
    "run_git",
    "safe_child",
]

__getattr__, __dir__ = lazy_face(__name__, __file__)
