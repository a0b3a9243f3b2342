"""GitLab CI/CD on each service's page, written against ``callboard.sdk`` only.

- config: ``plugins.gitlab-ci`` (which ``integrations.gitlab`` host, cache time, page size); GitLab's address and
  token come from Backstage's ``integrations.gitlab``
- permission: ``gitlab-ci.pipeline.retry`` (about one entity: rules may carry conditions such as isEntityOwner)
- routes: ``/api/gitlab-ci/pipelines`` (JSON) and ``POST /api/gitlab-ci/pipelines/<id>/retry``
- entity tab **CI/CD** and card **Pipeline status** (both lazy), for entities with ``gitlab.com/project-slug``
- events: finished pipelines are published on ``change-events.record``
- health check: GitLab accepts the token
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
from callboard_gitlab_ci.settings import Settings

# The rest is imported inside the hooks that use it: the portal's commands load every plugin before they run,
# and a plugin that imports its web routes and GitLab client here slows down even 'callboard --help'.
if TYPE_CHECKING:
    from callboard_gitlab_ci.service import Pipelines

CALLBOARD_PLUGIN_API = "1.6"
TEMPLATES = str(Path(__file__).parent / "templates")


class _State:
    pipelines: Pipelines | None = None


state = _State()


def _pipelines(context: PluginContext) -> Pipelines:
    from callboard_gitlab_ci.service import Pipelines

    if state.pipelines is None or state.pipelines.context is not context:
        state.pipelines = Pipelines(context)
    return state.pipelines


def _has_project(entity: Any) -> bool:
    from callboard_gitlab_ci.service import project_of

    return project_of(entity) is not None


@hookimpl
def register_config() -> PluginConfig:
    return PluginConfig(Settings)


@hookimpl
def register_permissions() -> list[PermissionSpec]:
    from callboard_gitlab_ci.permissions import RETRY

    return [
        PermissionSpec(
            RETRY, "Retry a pipeline of a service's GitLab project", "update", resource="catalog-entity", opt_in=True
        )
    ]


@hookimpl
def register_routes(context: PluginContext) -> PluginRoutes:
    from callboard_gitlab_ci import routes

    return PluginRoutes(api=routes.api_router(_pipelines(context)))


@hookimpl
def register_entity_tabs() -> list[EntityTab]:
    from callboard_gitlab_ci import views

    # Only where the entity names a GitLab project: a component without it gets the GitHub Actions tab's
    # explanation when that plugin is installed, not two "CI/CD" tabs saying the same.
    return [
        EntityTab(
            "gitlab-ci",
            "CI/CD",
            "gitlab_ci_tab.html",
            weight=14,
            applies_to=_has_project,
            context=lambda entity_context: views.tab_context(state.pipelines, entity_context),
            template_dir=TEMPLATES,
            lazy=True,
        )
    ]


@hookimpl
def register_entity_cards() -> list[EntityCard]:
    from callboard_gitlab_ci import views

    return [
        EntityCard(
            "gitlab-ci",
            "Pipeline status",
            "gitlab_ci_card.html",
            area="side",
            weight=30,
            applies_to=_has_project,
            context=lambda entity_context: views.card_context(state.pipelines, entity_context),
            lazy=True,
            template_dir=TEMPLATES,
        )
    ]


@hookimpl
def register_health_checks(context: PluginContext) -> list[HealthCheck]:
    from callboard_gitlab_ci.gitlab import GitLabCi

    pipelines = _pipelines(context)

    def credential() -> str | None:
        try:
            with context.http_client(pipelines.client_name) as http:
                GitLabCi(http).token_self()
        except NotFoundError as error:
            return str(error)
        except UpstreamError as error:
            return f"{error} (integrations.gitlab: a token with read_api, and api for Retry)"
        return None

    return [HealthCheck("credential", "GitLab accepts the portal's token", credential)]


@hookimpl
def startup(context: PluginContext) -> None:
    _pipelines(context)
