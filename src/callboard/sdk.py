"""The stable surface for plugin authors: import from here, not from Callboard's internals.

Everything re-exported here is covered by the plugin API version (``callboard.plugins.PLUGIN_API_VERSION``).
"""

from callboard import hookimpl
from callboard.core.entity import DEFAULT_NAMESPACE, Entity, EntityRef, EntityRefError
from callboard.core.extensions import (
    CatalogReader,
    EntityCard,
    EntityContext,
    EntityTab,
    KindDefinition,
    KindRelation,
    NavItem,
    PlaceholderResolverSpec,
)
from callboard.core.identity import Identity
from callboard.core.permissions import ALLOW, DENY, Decision
from callboard.core.relations import REVERSE as RELATION_REVERSE
from callboard.discovery.model import Fact, RepoView
from callboard.plugins import PLUGIN_API_VERSION
from callboard.search.documents import SearchDocument

__all__ = [
    "ALLOW",
    "DEFAULT_NAMESPACE",
    "DENY",
    "PLUGIN_API_VERSION",
    "RELATION_REVERSE",
    "CatalogReader",
    "Decision",
    "Entity",
    "EntityCard",
    "EntityContext",
    "EntityRef",
    "EntityRefError",
    "EntityTab",
    "Fact",
    "Identity",
    "KindDefinition",
    "KindRelation",
    "NavItem",
    "PlaceholderResolverSpec",
    "RepoView",
    "SearchDocument",
    "hookimpl",
]
