"""How the command line's help names each option's value: none for a flag (Typer says ``<bool>``), a list's
element once with "…" for an option that may be repeated (Typer says ``<list[Path]>``)."""

from __future__ import annotations

from typing import Any, get_args

from typer.core import TyperArgument, TyperOption


def _value_shown(param: Any, ctx: Any) -> str | None:
    if getattr(param, "is_flag", False) or getattr(param, "is_bool_flag", False):
        return None  # --dry-run, --help: nothing follows the flag
    described = param.type_descriptor
    if described.is_list and not described.is_choice:
        (element,) = get_args(described.annotation) or (str,)
        name = getattr(element, "__name__", str(element)).lower()
        return f"<{ {'path': 'file', 'posixpath': 'file', 'str': 'text'}.get(name, name) }>…"
    shown: str = param.display_type(ctx)
    return shown.replace("<Path>", "<file>").replace("<str>", "<text>")


def use_readable_value_names() -> None:
    """Install the names above on every option and argument (call once, before the CLI runs)."""
    TyperOption.display_type_rich = _value_shown  # type: ignore[method-assign,assignment]
    TyperArgument.display_type_rich = _value_shown  # type: ignore[method-assign,assignment]
