"""Team announcements: a Callboard plugin written against ``callboard.sdk`` only, using every backend hook.

- config: ``plugins.announcements`` (title, keepDays, channels, feed)
- storage: the ``announcements_posts`` table and its migrations
- permissions: ``announcements.post.create`` and ``announcements.post.delete``
- routes: ``/api/announcements/`` (``/health`` public) and the ``/announcements/`` page
- scheduled tasks: expire old posts; import a feed through the portal's credentialed HTTP client
- entity provider: one ``Resource`` per configured channel, owned by its team
- events: publishes ``announcements.posted``; counts what it hears
- catalog processor: a channel owned by anything but a group is a problem on the channel
- card and nav item: posts on team pages and on the pages of what a team owns
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from callboard.sdk import (
    OWNED_BY,
    CatalogProcessor,
    EntityCard,
    EntityContext,
    EntityProvider,
    EntityRef,
    NavItem,
    PermissionSpec,
    PluginConfig,
    PluginContext,
    PluginRoutes,
    PluginStorage,
    ProcessorResult,
    ProviderConnection,
    ScheduledTask,
    hookimpl,
    relation_targets,
)
from callboard_announcements.settings import Settings

CALLBOARD_PLUGIN_API = "1.1"

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


class _State:
    """What the card needs between hooks: the plugin's context, set at start-up."""

    context: PluginContext | None = None
    heard: int = 0


state = _State()


@hookimpl
def register_config() -> PluginConfig:
    return PluginConfig(Settings)


@hookimpl
def register_storage() -> PluginStorage:
    from callboard_announcements.tables import metadata

    return PluginStorage(metadata, HERE / "migrations")


@hookimpl
def register_permissions() -> list[PermissionSpec]:
    from callboard_announcements.permissions import CREATE, DELETE

    return [
        PermissionSpec(CREATE, "Post an announcement for a team", "create"),
        PermissionSpec(DELETE, "Delete an announcement", "delete"),
    ]


@hookimpl
def register_routes(context: PluginContext) -> PluginRoutes:
    from callboard_announcements import routes

    return PluginRoutes(
        api=routes.api_router(context),
        pages=routes.pages_router(context),
        public=("/health",),
        templates=HERE / "templates",
        static=HERE / "static",
    )


@hookimpl
def register_scheduled_tasks(context: PluginContext) -> list[ScheduledTask]:
    settings: Settings = context.config
    tasks = [ScheduledTask("expire", lambda: expire(context), every_seconds=3600.0, timeout_seconds=60.0)]
    if settings.feed is not None:
        tasks.append(
            ScheduledTask(
                "import-feed",
                lambda: import_feed(context),
                every_seconds=settings.feed.every_seconds,
                timeout_seconds=60.0,
            )
        )
    return tasks


@hookimpl
def register_entity_providers(context: PluginContext) -> list[EntityProvider]:
    return [EntityProvider("channels", lambda connection: provide_channels(context, connection), every_seconds=600.0)]


@hookimpl
def register_catalog_processors() -> list[CatalogProcessor]:
    return [CatalogProcessor("announcement-channels", postprocess=check_channel)]


@hookimpl
def register_entity_cards() -> list[EntityCard]:
    return [
        EntityCard(
            "announcements",
            "Announcements",
            "announcements_card.html",
            area="main",
            weight=12,
            applies_to=_has_team,
            context=card_context,
            template_dir=str(HERE / "templates"),
        )
    ]


@hookimpl
def register_nav_items() -> list[NavItem]:
    return [NavItem("Announcements", "/announcements/", weight=60, icon="announcements")]


@hookimpl
def startup(context: PluginContext) -> None:
    from callboard_announcements import routes

    state.context = context
    state.heard = 0
    context.events.subscribe(routes.POSTED, _heard)


@hookimpl
def shutdown(context: PluginContext) -> None:
    log.info("announcements: %d posts heard of while running", state.heard)


# -- what the hooks do ------------------------------------------------------------------------------------


def expire(context: PluginContext) -> int:
    from callboard_announcements import store

    settings: Settings = context.config
    return store.expire(context.database, context.now() - settings.keep_days * 86400)


def import_feed(context: PluginContext) -> int:
    """Posts from the feed that are new (by team and title); the feed's credentials stay on the server."""
    from callboard_announcements import routes, store

    settings: Settings = context.config
    assert settings.feed is not None
    with context.http_client(settings.feed.client) as client:
        response = client.get(settings.feed.path)
        response.raise_for_status()
        items = response.json()
    if not isinstance(items, list):
        raise ValueError(f"the feed at {settings.feed.path} gave {type(items).__name__}, not a list of posts")
    added = 0
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("team") or not item.get("title"):
            raise ValueError(f"feed item {index + 1} needs a team and a title, got {item!r:.200}")
        team = EntityRef.parse(str(item["team"]), default_kind="group").key
        title = str(item["title"])[:200]
        if not store.exists(context.database, team, title):
            routes.publish(context, team, title, str(item.get("body") or "")[:10_000], "feed", "feed")
            added += 1
    return added


def provide_channels(context: PluginContext, connection: ProviderConnection) -> int:
    settings: Settings = context.config
    return connection.replace(
        [
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Resource",
                "metadata": {
                    "name": f"announcements-{channel.name}",
                    "description": channel.description or f"Announcements of {channel.owner}",
                    "annotations": {"callboard.dev/announcements-channel": channel.name},
                },
                "spec": {"type": "announcement-channel", "owner": channel.owner},
            }
            for channel in settings.channels
        ]
    )


def check_channel(entity: Mapping[str, Any], result: ProcessorResult) -> None:
    """A channel's posts are shown on its owner's page, so the owner must be a team (a Group)."""
    annotations = (entity.get("metadata") or {}).get("annotations") or {}
    if "callboard.dev/announcements-channel" not in annotations:
        return
    owner = EntityRef.parse(str((entity.get("spec") or {}).get("owner", "")), default_kind="group")
    if owner.kind.lower() != "group":
        result.errors.append(f"an announcement channel must be owned by a group, not {owner.key}")


def _heard(topic: str, payload: Mapping[str, Any]) -> None:
    state.heard += 1


def _teams(entity: Mapping[str, Any]) -> list[str]:
    if str(entity.get("kind", "")).lower() == "group":
        return [EntityRef.of(dict(entity)).key]
    return relation_targets(entity, OWNED_BY, "group")


def _has_team(entity: Mapping[str, Any]) -> bool:
    return bool(_teams(entity))


def card_context(context: EntityContext) -> Mapping[str, Any]:
    from callboard_announcements import store

    if state.context is None:
        return {"posts": []}
    return {"posts": store.listed(state.context.database, _teams(context.entity), limit=5)}
