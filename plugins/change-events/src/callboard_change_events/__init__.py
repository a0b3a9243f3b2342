"""Change events: what changed, where and when, written against ``callboard.sdk`` only.

- config: ``changeEvents`` (webhook secrets, mapping rules, retention, replay window)
- storage: ``change_events``, ``change_event_entities``, ``change_event_pending`` and their migrations
- permissions: ``change-events.read`` (and only events about entities the caller may read),
  ``change-events.create`` (the generic API, CloudEvents and the CLI)
- routes: ``/api/change-events/`` (webhooks public, verified by their signatures) and ``/change-events/`` pages
- entity tab **Changes** and a **Recent changes** card; nav item **Changes**
- scheduled tasks: retention; GitHub backfill when configured
- events: publishes ``change-events.created``; places waiting events when ``catalog.entity.changed`` arrives;
  records what other plugins publish on ``change-events.record`` (the generic API's fields), such as CI runs
- search: recent events by title and version
- command line: ``callboard events send``
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typer import Typer

from callboard.sdk import (
    CATALOG_ENTITY_CHANGED,
    EntityCard,
    EntityTab,
    HomeCard,
    InputError,
    NavItem,
    PermissionSpec,
    PluginConfig,
    PluginContext,
    PluginRoutes,
    PluginStorage,
    ScheduledTask,
    hookimpl,
)
from callboard_change_events.settings import SECRETS, Settings

# The rest is imported inside the hooks that use it: every command loads every plugin before it runs,
# and a plugin that imports its web routes, tables and clients here slows down even 'callboard --help'.
if TYPE_CHECKING:
    from callboard_change_events.service import ChangeEvents

CALLBOARD_PLUGIN_API = "1.7"

HERE = Path(__file__).parent
#: Changes other plugins observed, in the generic API's fields (``type``, ``id``, ``source``, ``title``...).
RECORD = "change-events.record"
log = logging.getLogger(__name__)


class _State:
    """The plugin's service once started (cards, tabs and the collator are registered before start-up)."""

    service: ChangeEvents | None = None


state = _State()


@hookimpl
def register_config() -> PluginConfig:
    return PluginConfig(Settings, key="changeEvents", secrets=SECRETS)


@hookimpl
def register_storage() -> PluginStorage:
    from callboard_change_events.tables import metadata

    return PluginStorage(metadata, HERE / "migrations")


@hookimpl
def register_permissions() -> list[PermissionSpec]:
    from callboard_change_events.permissions import CREATE, READ

    return [
        PermissionSpec(READ, "Read change events (of entities the caller may read)", "read"),
        PermissionSpec(CREATE, "Record change events through the API, CloudEvents or the command line", "create"),
    ]


@hookimpl
def register_routes(context: PluginContext) -> PluginRoutes:
    from callboard_change_events import pages, routes

    service = _service(context)
    return PluginRoutes(
        api=routes.api_router(service),
        pages=pages.pages_router(service),
        public=routes.WEBHOOKS,
        templates=HERE / "templates",
        static=HERE / "static",
    )


@hookimpl
def register_scheduled_tasks(context: PluginContext) -> list[ScheduledTask]:
    from callboard_change_events import backfill, demo

    service = _service(context)
    settings: Settings = context.config
    tasks = [ScheduledTask("retention", lambda: expire(service), every_seconds=3600.0, timeout_seconds=600.0)]
    if settings.demo:
        tasks.append(
            ScheduledTask("demo", lambda: demo.seed(service), every_seconds=20.0, timeout_seconds=120.0, scope="local")
        )
    if settings.github.backfill:
        tasks.append(
            ScheduledTask(
                "github-backfill",
                lambda: backfill.github(service),
                every_seconds=settings.github.backfill_every_minutes * 60,
                timeout_seconds=900.0,
            )
        )
    return tasks


@hookimpl
def register_entity_tabs() -> list[EntityTab]:
    from callboard_change_events import pages

    return [
        EntityTab(
            "changes",
            "Changes",
            "changes_tab.html",
            weight=15,
            applies_to=pages.has_changes,
            context=lambda entity_context: pages.tab_context(state.service, entity_context),
            template_dir=str(HERE / "templates"),
        )
    ]


@hookimpl
def register_entity_cards() -> list[EntityCard]:
    from callboard_change_events import pages

    return [
        EntityCard(
            "recent-changes",
            "Recent changes",
            "changes_card.html",
            area="main",
            weight=8,
            applies_to=pages.has_changes,
            context=lambda entity_context: pages.card_context(state.service, entity_context),
            template_dir=str(HERE / "templates"),
        )
    ]


@hookimpl
def register_home_cards() -> list[HomeCard]:
    from callboard_change_events import pages

    return [
        HomeCard(
            "my-changes",
            "Changes to your entities",
            "home_changes.html",
            weight=10,
            context=lambda home: pages.home_context(state.service, home),
            template_dir=str(HERE / "templates"),
        )
    ]


@hookimpl
def register_nav_items() -> list[NavItem]:
    return [NavItem("Changes", "/change-events/", weight=25, icon="changes")]


@hookimpl
def register_search_collators() -> list[Any]:
    from callboard_change_events.collator import RecentChanges

    return [RecentChanges(lambda: state.service)]


@hookimpl
def register_commands(cli: Typer) -> None:
    from callboard_change_events import cli as commands

    commands.add_commands(cli)


@hookimpl
def startup(context: PluginContext) -> None:
    service = _service(context)
    context.events.subscribe(CATALOG_ENTITY_CHANGED, lambda topic, payload: _catalog_changed(service, payload))
    context.events.subscribe(RECORD, lambda topic, payload: _heard(service, payload))


@hookimpl
def shutdown(context: PluginContext) -> None:
    if state.service is not None:
        state.service.writer.close()
    state.service = None


def _heard(service: ChangeEvents, payload: Mapping[str, Any]) -> None:
    """A change another plugin observed (a CI run, a pipeline), in the generic API's fields: recorded once by
    its source and id, so a run seen by the GitHub webhook and by the GitHub Actions plugin is one event."""
    from callboard_change_events.model import from_fields

    try:
        event = from_fields(payload, source=str(payload.get("source") or "plugin"), now=service.context.now())
        service.record(event, replay_checked=False)
    except InputError as problem:
        log.warning("change-events: ignored a change heard on %s: %s", RECORD, problem)


def _service(context: PluginContext) -> ChangeEvents:
    from callboard_change_events.service import ChangeEvents

    if state.service is None or state.service.context is not context:
        state.service = ChangeEvents(context)
    return state.service


def expire(service: ChangeEvents) -> int:
    from callboard_change_events import store

    settings = service.settings
    now = service.context.now()
    cutoffs: dict[str | None, float] = {None: now - settings.retention.max_age_days * 86400}
    cutoffs.update({kind: now - days * 86400 for kind, days in settings.retention.per_type.items()})
    return store.expire(service.context.database, cutoffs, settings.retention.max_per_type)


def _catalog_changed(service: ChangeEvents, payload: Mapping[str, Any]) -> None:
    refs = [str(ref) for ref in payload.get("entityRefs") or []]
    if refs:
        matched = service.match_waiting(refs)
        if matched:
            log.info("change-events: %d waiting events placed on %d changed entities", matched, len(refs))
