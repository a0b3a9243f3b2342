"""The configuration-level assembly: settings, plugins, kinds and what plugins declare, without the web stack
or a database, so commands that only read files (``catalog validate``, ``config check``) start quickly.
``callboard.app`` builds a running portal on top of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from callboard import __version__
from callboard.catalog.kinds import KindRegistry, KindSchema, builtin_kinds
from callboard.catalog.placeholders import PlaceholderRequest, Resolver
from callboard.catalog.validation import DescriptorValidator
from callboard.core.extensions import KindDefinition, KindRelation
from callboard.plugin_declarations import PluginDeclarations, declare
from callboard.plugins.manager import PluginManager
from callboard.settings import Settings

#: Built-in plugins, registered like installed ones; none needs more than the SDK.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "callboard.builtins.entity_pages",
    "callboard.builtins.scaffolder_actions",
    "callboard.builtins.detectors",
    "callboard.builtins.provenance",
    "callboard.builtins.techdocs_local",
    "callboard.builtins.auth_providers",
)


@dataclass
class Callboard:
    """The assembled parts of one Callboard process (configuration-level; no database yet)."""

    settings: Settings
    plugins: PluginManager
    kinds: KindRegistry
    declarations: PluginDeclarations = field(default_factory=PluginDeclarations)

    def descriptor_validator(self) -> DescriptorValidator:
        resolvers = {key: _adapt_resolver(spec.resolve) for key, spec in self.plugins.placeholder_resolvers().items()}
        return DescriptorValidator(self.kinds, resolvers, self.settings.catalog.limits.descriptor_limits())


def _adapt_resolver(resolve: Callable[[Any, Callable[[str], str]], Any]) -> Resolver:
    def resolver(request: PlaceholderRequest) -> Any:
        return resolve(request.value, request.read)

    return resolver


def create_plugin_manager() -> PluginManager:
    manager = PluginManager()
    for module_name in BUILTIN_PLUGINS:
        manager.register(import_module(module_name), module_name.rsplit(".", 1)[-1], "callboard", __version__)
    manager.load_entry_points()
    return manager


def create_kind_registry(settings: Settings, plugins: PluginManager) -> KindRegistry:
    """Built-in kinds first (Backstage's asking order), then plugin kinds, then kinds from app-config."""
    registry = KindRegistry(builtin_kinds())
    for plugin, definition in plugins.kind_definitions():
        registry.add(_kind_schema(definition, origin=f"plugin {plugin}"))
    for index, kind in enumerate(settings.catalog.kinds):
        origin = settings.loaded.origin(("catalog", "kinds", index)) if settings.loaded else "app-config"
        definition = KindDefinition(
            kind.kind,
            kind.api_versions,
            kind.spec_schema,
            tuple(KindRelation(r.field, r.type, r.reverse, r.default_kind) for r in kind.relations),
            kind.description,
        )
        registry.add(_kind_schema(definition, origin=f"{origin}: catalog.kinds[{index}]"))
    return registry


def _kind_schema(definition: KindDefinition, *, origin: str) -> KindSchema:
    return KindSchema.from_spec_schema(
        definition.kind,
        definition.api_versions,
        definition.spec_schema,
        relations=[
            {"field": r.field, "type": r.type, "reverse": r.reverse, "defaultKind": r.default_kind}
            for r in definition.relations
        ],
        description=definition.description,
        origin=origin,
    )


def create_callboard(settings: Settings, plugins: PluginManager | None = None) -> Callboard:
    plugins = plugins or create_plugin_manager()
    return Callboard(settings, plugins, create_kind_registry(settings, plugins), declare(plugins, settings))
