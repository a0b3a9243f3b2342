"""Finding plugins (entry points in group ``callboard.plugins``), checking their API version, collecting hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from callboard.core.extensions import EntityCard, EntityTab, HomeCard, KindDefinition, NavItem, PlaceholderResolverSpec
from callboard.plugins import PLUGIN_API_VERSION, api_version_parts, hookspecs

ENTRY_POINT_GROUP = "callboard.plugins"


class PluginError(Exception):
    """A plugin that cannot be loaded; the message names the plugin, its package and what to do."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    package: str
    version: str
    api: str


def _format(api: tuple[int, int]) -> str:
    return f"{api[0]}.{api[1]}"


def parse_api_version(text: object, plugin: str) -> tuple[int, int]:
    try:
        major, _, minor = str(text).partition(".")
        return int(major), int(minor or 0)
    except ValueError as error:
        raise PluginError(
            f"Plugin {plugin!r} declares CALLBOARD_PLUGIN_API = {text!r}; write it as 'MAJOR.MINOR', e.g. '1.0'"
        ) from error


def check_api_version(plugin: str, package: str, declared: tuple[int, int]) -> None:
    """Refuse a plugin built for a plugin API this Callboard does not provide."""
    ours = api_version_parts()[:2]
    if declared[0] == ours[0] and declared[1] <= ours[1]:
        return
    raise PluginError(
        f"Plugin {plugin!r} (package {package}) was built for plugin API {_format(declared)}, but this Callboard "
        f"provides plugin API {PLUGIN_API_VERSION} (plugins built for {ours[0]}.0 to {_format(ours)} work). "
        f"Install a release of {package} built for plugin API {ours[0]}.x, or a Callboard that provides "
        f"{_format(declared)}."
    )


class PluginManager:
    """The loaded plugins and the hooks they implement."""

    def __init__(self) -> None:
        self._pm = pluggy.PluginManager("callboard")
        self._pm.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = []

    @property
    def hook(self) -> Any:
        return self._pm.hook

    def register(self, module: ModuleType | object, name: str, package: str = "callboard", version: str = "") -> None:
        declared = parse_api_version(getattr(module, "CALLBOARD_PLUGIN_API", None) or _missing(name, package), name)
        check_api_version(name, package, declared)
        if self._pm.has_plugin(name):
            other = next(info for info in self.plugins if info.name == name)
            raise PluginError(f"Two plugins are named {name!r}: from {other.package} and from {package}; uninstall one")
        self._pm.register(module, name=name)
        self.plugins.append(PluginInfo(name, package, version, _format(declared)))

    def load_entry_points(self, *, blocked: Iterable[str] = ()) -> None:
        blocked_names = set(blocked)
        for entry_point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
            if entry_point.name in blocked_names:
                continue
            package = entry_point.dist.name if entry_point.dist else "unknown"
            version = entry_point.dist.version if entry_point.dist else ""
            try:
                module = entry_point.load()
            except Exception as error:
                raise PluginError(
                    f"Plugin {entry_point.name!r} from {package} {version} failed to import: {error!r}. "
                    f"Reinstall it, or uninstall it with 'pip uninstall {package}'."
                ) from error
            self.register(module, entry_point.name, package, version)

    def kind_definitions(self) -> list[tuple[str, KindDefinition]]:
        """Every kind registered by a plugin, with the plugin's name, in plugin order."""
        found: list[tuple[str, KindDefinition]] = []
        for plugin, kinds in self._results("register_entity_kinds"):
            found.extend((plugin, kind) for kind in kinds)
        return found

    def placeholder_resolvers(self) -> dict[str, PlaceholderResolverSpec]:
        resolvers: dict[str, tuple[str, PlaceholderResolverSpec]] = {}
        for plugin, specs in self._results("register_placeholder_resolvers"):
            for spec in specs:
                if spec.key in resolvers or spec.key in ("text", "json", "yaml"):
                    owner = resolvers[spec.key][0] if spec.key in resolvers else "callboard (built in)"
                    raise PluginError(f"Placeholder ${spec.key} is registered by both {owner} and {plugin}")
                resolvers[spec.key] = (plugin, spec)
        return {key: spec for key, (_, spec) in resolvers.items()}

    def entity_cards(self) -> list[EntityCard]:
        return sorted(self._unique("register_entity_cards", "entity card"), key=lambda card: (card.weight, card.id))

    def home_cards(self) -> list[HomeCard]:
        return sorted(self._unique("register_home_cards", "home card"), key=lambda card: (card.weight, card.id))

    def entity_tabs(self) -> list[EntityTab]:
        return sorted(self._unique("register_entity_tabs", "entity tab"), key=lambda tab: (tab.weight, tab.id))

    def scaffolder_actions(self) -> dict[str, Any]:
        return {action.id: action for action in self._unique("register_scaffolder_actions", "scaffolder action")}

    def auth_providers(self) -> dict[str, Any]:
        return {spec.id: spec for spec in self._unique("register_auth_providers", "sign-in provider")}

    def catalog_processors(self) -> list[Any]:
        return self._unique("register_catalog_processors", "catalog processor")

    def discovery_detectors(self) -> list[Any]:
        return self._unique("register_discovery_detectors", "discovery detector")

    def search_collators(self) -> list[Any]:
        return [collator for _, found in self._results("register_search_collators") for collator in found]

    def nav_items(self) -> list[NavItem]:
        items = [item for _, found in self._results("register_nav_items") for item in found]
        return sorted(items, key=lambda item: (item.weight, item.title))

    def _unique(self, hook_name: str, what: str) -> list[Any]:
        """Registered objects with an ``id``; two plugins registering the same id is a start-up error."""
        owners: dict[str, str] = {}
        found = []
        for plugin, items in self._results(hook_name):
            for item in items:
                if item.id in owners:
                    raise PluginError(
                        f"The {what} {item.id!r} is registered by both {owners[item.id]} and {plugin}; "
                        "rename one or uninstall one of the plugins"
                    )
                owners[item.id] = plugin
                found.append(item)
        return found

    def per_plugin(
        self, hook_name: str, arguments: Callable[[str], dict[str, Any]] | None = None
    ) -> list[tuple[str, Any]]:
        """Each implementing plugin's own answer to a hook, in registration order; ``arguments(plugin)`` gives
        the keyword arguments for that plugin (its own ``PluginContext``, say)."""
        found = []
        for impl in reversed(getattr(self._pm.hook, hook_name).get_hookimpls()):
            kwargs = arguments(impl.plugin_name) if arguments else {}
            found.append((impl.plugin_name, impl.function(**{name: kwargs[name] for name in impl.argnames})))
        return found

    def hooks_of(self, name: str) -> list[str]:
        """The hooks a plugin implements, by name."""
        plugin = self._pm.get_plugin(name)
        return sorted(caller.name for caller in self._pm.get_hookcallers(plugin) or []) if plugin else []

    def _results(self, hook_name: str) -> list[tuple[str, list[Any]]]:
        results = []
        for impl in reversed(getattr(self._pm.hook, hook_name).get_hookimpls()):
            value = impl.function()
            results.append((impl.plugin_name, list(value or [])))
        return results


def _missing(name: str, package: str) -> str:
    raise PluginError(
        f"Plugin {name!r} (package {package}) does not declare CALLBOARD_PLUGIN_API; add "
        "CALLBOARD_PLUGIN_API = '1.0' to its module so Callboard can check it is compatible"
    )
