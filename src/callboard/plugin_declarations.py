"""What plugins declare before anything runs (config, storage, permissions), validated with errors that name
the plugin, the key and the fix. Light on purpose: commands such as ``catalog validate`` need it without the web
stack or a database."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ValidationError

from callboard.config_loader import ConfigError
from callboard.plugins.backend import PLUGIN_ID, PermissionSpec, PluginConfig, PluginStorage
from callboard.plugins.manager import PluginError, PluginManager
from callboard.settings import Settings

#: ``<plugin id>.<resource>.<action>``, or ``<plugin id>.<action>`` for a plugin with one kind of resource.
_PERMISSION = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*){1,2}$")


@dataclass
class PluginDeclarations:
    """What the plugins declared before anything runs: per-plugin config, storage and permissions."""

    configs: dict[str, Any] = field(default_factory=dict)
    config_specs: dict[str, PluginConfig] = field(default_factory=dict)
    permissions: dict[str, list[PermissionSpec]] = field(default_factory=dict)
    plugins: PluginManager | None = None

    @cached_property
    def storage(self) -> dict[str, PluginStorage]:
        """Each plugin's tables and migrations; asked for only where a database is opened, because a plugin's
        tables bring in SQLAlchemy, which commands that only read files do not need."""
        found: dict[str, PluginStorage] = {}
        for plugin, storage in self.plugins.per_plugin("register_storage") if self.plugins else ():
            if storage is not None:
                check_id(plugin)
                if not storage.migrations.is_dir():
                    raise PluginError(f"Plugin {plugin!r}: its migrations folder {storage.migrations} does not exist")
                found[plugin] = storage
        return found

    def permission_names(self) -> set[str]:
        return {spec.name for specs in self.permissions.values() for spec in specs}

    def opt_in_permission_names(self) -> set[str]:
        """Plugin permissions granted only by a rule (``PermissionSpec.opt_in``)."""
        return {spec.name for specs in self.permissions.values() for spec in specs if spec.opt_in}

    def entity_permission_names(self) -> set[str]:
        """Plugin permissions about one entity: rules may put conditions on them."""
        return {spec.name for specs in self.permissions.values() for spec in specs if spec.resource == "catalog-entity"}


def declare(plugins: PluginManager, settings: Settings) -> PluginDeclarations:
    """Validate every plugin's config and declarations; each error names the plugin, the key and the fix."""
    found = PluginDeclarations(plugins=plugins)
    section = settings.plugins or {}
    for plugin, spec in plugins.per_plugin("register_config"):
        if spec is None:
            continue
        check_id(plugin)
        path = (spec.key,) if spec.key else ("plugins", plugin)
        extra = getattr(settings, "model_extra", None) or {}
        raw = dict((extra.get(spec.key) if spec.key else section.get(plugin)) or {})
        for shared in spec.shared_keys:
            value = _shared_value(settings, shared)
            if value is not None:
                raw[shared.rsplit(".", 1)[-1]] = value
        found.configs[plugin] = _validate(spec.model, raw, path, settings, spec.shared_keys)
        found.config_specs[plugin] = spec
        if settings.loaded is not None:
            settings.loaded.secrets |= {(*path, *name.split(".")) for name in spec.secrets}
    for plugin, specs in plugins.per_plugin("register_permissions"):
        checked = []
        for spec in specs or []:
            if not _PERMISSION.match(spec.name) or not spec.name.startswith(f"{plugin}."):
                raise PluginError(
                    f"Plugin {plugin!r} registers permission {spec.name!r}; name it "
                    f"{plugin}.<resource>.<action> (or {plugin}.<action>), "
                    f"e.g. {plugin}.item.read"
                )
            checked.append(spec)
        if checked:
            found.permissions[plugin] = checked
    return found


def check_id(plugin: str) -> None:
    if not PLUGIN_ID.match(plugin):
        raise PluginError(
            f"Plugin id {plugin!r} cannot name routes and tables; use lower-case letters, digits, - and _ "
            "(at most 40), starting with a letter: rename its entry point"
        )


def _validate(
    model: type[BaseModel], raw: object, path: tuple[str, ...], settings: Settings, shared: Sequence[str] = ()
) -> BaseModel:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        # A shared key (Backstage's ``kubernetes``, ``catalog.providers.ldapOrg``) is named from the top, where
        # the adopter wrote it.
        parents = {key.rsplit(".", 1)[-1]: tuple(key.split(".")[:-1]) for key in shared}
        problems = []
        for problem in error.errors():
            first = str(problem["loc"][0]) if problem["loc"] else ""
            where = (*parents.get(first, path), *(str(part) for part in problem["loc"]))
            origin = settings.loaded.origin(where) if settings.loaded else "app-config"
            problems.append(f"{origin}: {'.'.join(where)}: {problem['msg']}")
        raise ConfigError("invalid plugin configuration:\n  " + "\n  ".join(problems)) from None


def _shared_value(settings: Settings, key: str) -> Any:
    """The value at a dotted key of the whole configuration (``kubernetes``, ``catalog.providers.ldapOrg``)."""
    first, *rest = key.split(".")
    if settings.loaded is not None:
        value: Any = settings.loaded.data.get(first)
    else:
        extra = getattr(settings, "model_extra", None) or {}
        value = extra.get(first)
    for part in rest:
        value = value.get(part) if isinstance(value, dict) else None
    return value
