"""PagerDuty on each service's and team's page, written against ``callboard.sdk`` only.

- config: Backstage's ``pagerDuty`` key (``apiToken``, ``apiBaseUrl``, ``eventsBaseUrl``) and cache time
- permission: ``pagerduty.incident.create`` (about one entity: rules may carry conditions such as isEntityOwner)
- routes: ``/api/pagerduty/services`` (JSON) and ``POST /api/pagerduty/incidents``
- entity tab **On call** (lazy), card **On call** on services and on groups (lazy)
- health check: PagerDuty accepts the REST API key
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from callboard.sdk import (
    EntityCard,
    EntityTab,
    HealthCheck,
    PermissionSpec,
    PluginConfig,
    PluginContext,
    PluginRoutes,
    UpstreamError,
    hookimpl,
)
from callboard_pagerduty.settings import SECRETS, Settings

# The rest is imported inside the hooks that use it: every command loads every plugin before it runs,
# and a plugin that imports its web routes, tables and clients here slows down even 'callboard --help'.
if TYPE_CHECKING:
    from callboard_pagerduty.service import OnCall

CALLBOARD_PLUGIN_API = "1.6"
TEMPLATES = str(Path(__file__).parent / "templates")


class _State:
    on_call: OnCall | None = None


state = _State()


def _on_call(context: PluginContext) -> OnCall:
    from callboard_pagerduty.service import OnCall

    if state.on_call is None or state.on_call.context is not context:
        state.on_call = OnCall(context)
    return state.on_call


def _kind(*kinds: str) -> Any:
    return lambda entity: str(entity.get("kind", "")).lower() in kinds


@hookimpl
def register_config() -> PluginConfig:
    return PluginConfig(Settings, key="pagerDuty", secrets=SECRETS)


@hookimpl
def register_permissions() -> list[PermissionSpec]:
    from callboard_pagerduty.permissions import CREATE

    return [
        PermissionSpec(
            CREATE,
            "Trigger a PagerDuty incident on a service (pages its on-call)",
            "create",
            resource="catalog-entity",
            opt_in=True,
        )
    ]


@hookimpl
def register_routes(context: PluginContext) -> PluginRoutes:
    from callboard_pagerduty import routes

    return PluginRoutes(api=routes.api_router(_on_call(context)))


@hookimpl
def register_entity_tabs() -> list[EntityTab]:
    from callboard_pagerduty import views

    return [
        EntityTab(
            "pagerduty",
            "On call",
            "pagerduty_tab.html",
            weight=16,
            applies_to=_kind("component"),
            context=lambda entity_context: views.service_context(state.on_call, entity_context),
            template_dir=TEMPLATES,
            lazy=True,
        )
    ]


@hookimpl
def register_entity_cards() -> list[EntityCard]:
    from callboard_pagerduty import views
    from callboard_pagerduty.service import matched

    return [
        EntityCard(
            "pagerduty",
            "On call",
            "pagerduty_card.html",
            area="side",
            weight=20,
            applies_to=matched,
            context=lambda entity_context: views.service_context(state.on_call, entity_context),
            lazy=True,
            template_dir=TEMPLATES,
        ),
        EntityCard(
            "pagerduty-team",
            "On call for the team's services",
            "pagerduty_team_card.html",
            weight=40,
            applies_to=_kind("group"),
            context=lambda entity_context: views.team_context(state.on_call, entity_context),
            lazy=True,
            template_dir=TEMPLATES,
        ),
    ]


@hookimpl
def register_health_checks(context: PluginContext) -> list[HealthCheck]:
    on_call = _on_call(context)

    def credential() -> str | None:
        try:
            on_call.check_credential()
        except UpstreamError as error:
            return f"{error} (pagerDuty.apiToken: a REST API key from Integrations → API Access Keys)"
        return None

    return [HealthCheck("credential", "PagerDuty accepts the REST API key", credential)]


@hookimpl
def startup(context: PluginContext) -> None:
    _on_call(context)
