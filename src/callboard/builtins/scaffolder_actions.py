"""Callboard's scaffolder actions, registered through the same hook plugins use."""

from __future__ import annotations

from callboard.builtins.scaffolder_files import FILE_ACTIONS
from callboard.builtins.scaffolder_publish import PUBLISH_ACTIONS
from callboard.sdk import ScaffolderAction, hookimpl

CALLBOARD_PLUGIN_API = "1.0"


@hookimpl
def register_scaffolder_actions() -> list[ScaffolderAction]:
    return [*FILE_ACTIONS, *PUBLISH_ACTIONS]
