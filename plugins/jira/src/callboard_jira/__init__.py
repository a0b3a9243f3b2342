"""Jira on each service's page, written against ``callboard.sdk`` only.

- config: the ``jira`` key (``baseUrl``; ``email`` + ``apiToken`` for Jira Cloud, ``token`` for Data Center)
- routes: ``/api/jira/issues`` (JSON); the plugin only reads Jira
- entity tab **Issues** and card **Open issues** (both lazy), for entities with ``jira/project-key``
- health check: Jira accepts the credential
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from callboard.sdk import (
    EntityCard,
    EntityTab,
    HealthCheck,
    PluginConfig,
    PluginContext,
    PluginRoutes,
    UpstreamError,
    hookimpl,
)
from callboard_jira.settings import SECRETS, Settings

# The rest is imported inside the hooks that use it: every command loads every plugin before it runs,
# and a plugin that imports its web routes, tables and clients here slows down even 'callboard --help'.
if TYPE_CHECKING:
    from callboard_jira.service import Issues

CALLBOARD_PLUGIN_API = "1.6"
HERE = Path(__file__).parent
TEMPLATES = str(HERE / "templates")


class _State:
    issues: Issues | None = None


state = _State()


def _issues(context: PluginContext) -> Issues:
    from callboard_jira.service import Issues

    if state.issues is None or state.issues.context is not context:
        state.issues = Issues(context)
    return state.issues


def _is_component(entity: Any) -> bool:
    return str(entity.get("kind", "")).lower() == "component"


def _has_key(entity: Any) -> bool:
    from callboard_jira.service import PROJECT_KEY, annotations_of

    return bool(annotations_of(entity).get(PROJECT_KEY))


@hookimpl
def register_config() -> PluginConfig:
    return PluginConfig(Settings, key="jira", secrets=SECRETS)


@hookimpl
def register_routes(context: PluginContext) -> PluginRoutes:
    from callboard_jira import routes

    return PluginRoutes(api=routes.api_router(_issues(context)), static=HERE / "static")


@hookimpl
def register_entity_tabs() -> list[EntityTab]:
    from callboard_jira import views

    return [
        EntityTab(
            "jira",
            "Issues",
            "jira_tab.html",
            weight=18,
            applies_to=_is_component,
            context=lambda entity_context: views.issues_context(state.issues, entity_context),
            template_dir=TEMPLATES,
            lazy=True,
        )
    ]


@hookimpl
def register_entity_cards() -> list[EntityCard]:
    from callboard_jira import views

    return [
        EntityCard(
            "jira",
            "Open issues",
            "jira_card.html",
            weight=45,
            applies_to=_has_key,
            context=lambda entity_context: views.issues_context(state.issues, entity_context),
            lazy=True,
            template_dir=TEMPLATES,
        )
    ]


@hookimpl
def register_health_checks(context: PluginContext) -> list[HealthCheck]:
    issues = _issues(context)

    def credential() -> str | None:
        try:
            issues.check_credential()
        except UpstreamError as error:
            return f"{error} (jira: email + apiToken for Jira Cloud, or token for Data Center)"
        return None

    return [HealthCheck("credential", "Jira accepts the portal's credential", credential)]


@hookimpl
def startup(context: PluginContext) -> None:
    _issues(context)
