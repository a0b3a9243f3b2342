"""Callboard's scaffolder actions, registered through the same hook plugins use."""

from __future__ import annotations

from callboard.sdk import ScaffolderAction, hookimpl

CALLBOARD_PLUGIN_API = "1.0"


@hookimpl
def register_scaffolder_actions() -> list[ScaffolderAction]:
    # Imported here, like an installed plugin's routes: publishing brings in the GitHub and GitLab clients,
    # which commands that never run a template (every command loads every plugin) should not wait for.
    from callboard.builtins.scaffolder_files import FILE_ACTIONS
    from callboard.builtins.scaffolder_publish import PUBLISH_ACTIONS

    return [*FILE_ACTIONS, *PUBLISH_ACTIONS]
