"""GitHub Actions on each service's page, written against ``callboard.sdk`` only.

- config: ``plugins.github-actions`` (which ``integrations.github`` host, cache time, page size); GitHub's address,
  token or GitHub App come from Backstage's ``integrations.github``
- permission: ``github-actions.run.rerun`` (about one entity: rules may carry conditions such as isEntityOwner)
- routes: ``/api/github-actions/runs`` (JSON) and ``POST /api/github-actions/runs/<id>/rerun``
- entity tab **CI/CD** (lazy) and card **Build status** (lazy)
- events: completed runs are published on ``change-events.record`` (the change events plugin records them)
- health check: GitHub accepts the portal's credential
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from callboard.sdk import (
    EntityCard,
    EntityTab,
    HealthCheck,
    NotFoundError,
    PermissionSpec,
    PluginConfig,
    PluginContext,
    PluginRoutes,
    UpstreamError,
    hookimpl,
)
from callboard_github_actions.settings import Settings

# The rest is imported inside the hooks that use it: every command loads every plugin before it runs,
# and a plugin that imports its web routes, tables and clients here slows down even 'callboard --help'.
if TYPE_CHECKING:
    from callboard_github_actions.service import Actions

CALLBOARD_PLUGIN_API = "1.6"
HERE = Path(__file__).parent
TEMPLATES = str(HERE / "templates")


class _State:
    actions: Actions | None = None


state = _State()


def _actions(context: PluginContext) -> Actions:
    from callboard_github_actions.service import Actions

    if state.actions is None or state.actions.context is not context:
        state.actions = Actions(context)
    return state.actions


def _tab_applies(entity: Any) -> bool:
    """Components, with the repository or to say how to name it; not those that name only a GitLab project
    (their CI/CD tab is GitLab CI's, when installed)."""
    found = entity.get("metadata", {}).get("annotations") or {}
    on_gitlab = bool(found.get("gitlab.com/project-slug") or found.get("gitlab.com/project-id"))
    gitlab_only = on_gitlab and not _has_slug(entity)
    return str(entity.get("kind", "")).lower() == "component" and not gitlab_only


def _has_slug(entity: Any) -> bool:
    from callboard_github_actions.service import ANNOTATION

    return bool((entity.get("metadata", {}).get("annotations") or {}).get(ANNOTATION))


@hookimpl
def register_config() -> PluginConfig:
    return PluginConfig(Settings)


@hookimpl
def register_permissions() -> list[PermissionSpec]:
    from callboard_github_actions.permissions import RERUN

    return [
        PermissionSpec(
            RERUN, "Re-run a workflow run of a service's repository", "update", resource="catalog-entity", opt_in=True
        )
    ]


@hookimpl
def register_routes(context: PluginContext) -> PluginRoutes:
    from callboard_github_actions import routes

    return PluginRoutes(api=routes.api_router(_actions(context)))


@hookimpl
def register_entity_tabs() -> list[EntityTab]:
    from callboard_github_actions import views

    return [
        EntityTab(
            "github-actions",
            "CI/CD",
            "github_actions_tab.html",
            weight=14,
            applies_to=_tab_applies,
            context=lambda entity_context: views.tab_context(state.actions, entity_context),
            template_dir=TEMPLATES,
            lazy=True,
        )
    ]


@hookimpl
def register_entity_cards() -> list[EntityCard]:
    from callboard_github_actions import views

    return [
        EntityCard(
            "github-actions",
            "Build status",
            "github_actions_card.html",
            area="side",
            weight=30,
            applies_to=_has_slug,
            context=lambda entity_context: views.card_context(state.actions, entity_context),
            lazy=True,
            template_dir=TEMPLATES,
        )
    ]


@hookimpl
def register_health_checks(context: PluginContext) -> list[HealthCheck]:
    from callboard_github_actions.github import GitHubActions

    actions = _actions(context)

    def credential() -> str | None:
        try:
            with context.http_client(actions.client_name) as http:
                GitHubActions(http).rate_limit()
        except NotFoundError as error:
            return str(error)
        except UpstreamError as error:
            return f"{error} (integrations.github: check the token, or the GitHub App's appId and privateKey)"
        return None

    return [HealthCheck("credential", "GitHub accepts the portal's credential", credential)]


@hookimpl
def startup(context: PluginContext) -> None:
    _actions(context)
