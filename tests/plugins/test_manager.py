from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pytest

from callboard import hookimpl
from callboard.assembly import create_kind_registry
from callboard.core.extensions import KindDefinition, PlaceholderResolverSpec
from callboard.plugins import PLUGIN_API_VERSION, api_version_parts, hookspecs
from callboard.plugins.manager import PluginError, PluginManager, check_api_version
from callboard.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins" / "hooks.md"


def plugin(api: str | None = "1.0", **hooks: object) -> types.ModuleType:
    module = types.ModuleType("acme_plugin")
    if api is not None:
        module.CALLBOARD_PLUGIN_API = api  # type: ignore[attr-defined]
    for name, function in hooks.items():
        setattr(module, name, hookimpl(function))  # type: ignore[arg-type]
    return module


def test_compatible_api_versions_load() -> None:
    manager = PluginManager()
    manager.register(plugin("1.0"), "acme", "acme-callboard", "2.3")
    assert [(p.name, p.package, p.api) for p in manager.plugins] == [("acme", "acme-callboard", "1.0")]


_MAJOR, _MINOR, _ = api_version_parts()


# A newer major, a newer minor of ours (a plugin built for a Callboard newer than this one), an older major.
@pytest.mark.parametrize("declared", [(_MAJOR + 1, 0), (_MAJOR, _MINOR + 1), (_MAJOR - 1, 9)])
def test_incompatible_api_version_names_plugin_package_and_working_versions(declared: tuple[int, int]) -> None:
    with pytest.raises(PluginError) as raised:
        check_api_version("acme", "acme-callboard", declared)
    message = str(raised.value)
    assert f"built for plugin API {declared[0]}.{declared[1]}" in message
    assert f"provides plugin API {PLUGIN_API_VERSION}" in message
    assert "acme-callboard" in message


def test_missing_or_malformed_declaration_is_refused() -> None:
    with pytest.raises(PluginError, match="does not declare CALLBOARD_PLUGIN_API"):
        PluginManager().register(plugin(None), "acme", "acme-callboard")
    with pytest.raises(PluginError, match=r"write it as 'MAJOR\.MINOR'"):
        PluginManager().register(plugin("one"), "acme", "acme-callboard")


def test_duplicate_plugin_names_are_refused() -> None:
    manager = PluginManager()
    manager.register(plugin(), "acme", "acme-a")
    with pytest.raises(PluginError, match="Two plugins are named 'acme': from acme-a and from acme-b"):
        manager.register(plugin(), "acme", "acme-b")


def test_plugin_kinds_join_the_registry() -> None:
    manager = PluginManager()
    manager.register(
        plugin(register_entity_kinds=lambda: [KindDefinition("Environment", ["acme.io/v1"], {"type": "object"})]),
        "acme",
    )
    registry = create_kind_registry(Settings(), manager)
    environment = [kind for kind in registry.kinds if kind.kind == "Environment"]
    assert [kind.origin for kind in environment] == ["plugin acme"]


def test_placeholder_keys_must_be_unique() -> None:
    manager = PluginManager()
    spec = PlaceholderResolverSpec("vault", lambda value, read: value)
    manager.register(plugin(register_placeholder_resolvers=lambda: [spec]), "one")
    manager.register(plugin(register_placeholder_resolvers=lambda: [spec]), "two")
    with pytest.raises(PluginError, match=r"\$vault is registered by both"):
        manager.placeholder_resolvers()


def _signature(function: object) -> str:
    signature = inspect.signature(function)  # type: ignore[arg-type]
    parameters = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"{function.__name__}({parameters}) -> {signature.return_annotation}"  # type: ignore[attr-defined]


def test_every_hook_is_documented_with_its_signature() -> None:
    """Each hook has a section whose first code block is its signature, exactly as declared."""
    text = DOCS.read_text("utf-8")
    documented = dict(re.findall(r"^## `(\w+)`\n\n```python\n(.+)\n```", text, re.MULTILINE))
    headings = set(re.findall(r"^## `(\w+)`", text, re.MULTILINE))
    declared = {
        name: _signature(getattr(hookspecs, name))
        for name in dir(hookspecs)
        if hasattr(getattr(hookspecs, name), "callboard_spec")
    }
    assert len(declared) >= 19
    assert headings == set(declared), "every hook has a section, and every section a hook"
    assert documented == declared
