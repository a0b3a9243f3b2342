"""Cloud inventory: AWS accounts (with their organisational units and owners), EKS clusters and resources,
and the Terraform state that manages them, as catalog Resources. Written against ``callboard.sdk`` only.

- config: ``plugins.aws`` (organisation, member-account role, regions, owner tags and mapping, Terraform)
- storage: ``aws_accounts``, ``aws_units``, ``aws_scans``, ``aws_cluster_workloads``
- entity provider ``inventory``: a scheduled scan (one replica at a time) writing delta mutations
- permission ``aws.read``; routes ``/api/aws/`` and the Accounts page ``/aws/``
- cards: an account's clusters and resources; the clusters a component runs on
- command: ``callboard aws scan [--dry-run]``
- events: reads ``deployments.changed`` (what runs on each cluster)
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typer import Typer

from callboard.sdk import (
    CommandPortal,
    EntityCard,
    EntityProvider,
    NavItem,
    PermissionSpec,
    PluginConfig,
    PluginContext,
    PluginRoutes,
    PluginStorage,
    hookimpl,
)
from callboard_aws.settings import SECRETS, Settings

# The rest is imported inside the hooks that use it: every command loads every plugin before it runs,
# and a plugin that imports its web routes, tables and clients here slows down even 'callboard --help'.
if TYPE_CHECKING:
    from callboard_aws import demo
    from callboard_aws.inventory import Inventory

CALLBOARD_PLUGIN_API = "1.4"
DEPLOYMENTS_CHANGED = "deployments.changed"
HERE = Path(__file__).parent
log = logging.getLogger(__name__)


class _State:
    inventory: Inventory | None = None
    moto: demo.DemoCloud | None = None


state = _State()


@hookimpl
def register_config() -> PluginConfig:
    return PluginConfig(Settings, secrets=SECRETS)


@hookimpl
def register_storage() -> PluginStorage:
    from callboard_aws.tables import metadata

    return PluginStorage(metadata, HERE / "migrations")


@hookimpl
def register_permissions() -> list[PermissionSpec]:
    from callboard_aws.permissions import READ

    return [PermissionSpec(READ, "See the AWS accounts page and scan reports", "read")]


@hookimpl
def register_entity_providers(context: PluginContext) -> list[EntityProvider]:
    from callboard_aws import cli as commands

    inventory = _inventory(context)
    settings: Settings = context.config
    return [
        EntityProvider(
            commands.PROVIDER,
            inventory.refresh,
            every_seconds=settings.every_minutes * 60,
            timeout_seconds=settings.timeout_minutes * 60,
        )
    ]


@hookimpl
def register_routes(context: PluginContext) -> PluginRoutes:
    from callboard_aws import pages

    return PluginRoutes(
        api=pages.api_router(_inventory(context)),
        pages=pages.pages_router(_inventory(context)),
        templates=HERE / "templates",
        static=HERE / "static",
    )


@hookimpl
def register_entity_cards() -> list[EntityCard]:
    from callboard_aws import pages

    return [
        EntityCard(
            "aws-account",
            "In this account",
            "account_card.html",
            area="main",
            weight=9,
            applies_to=pages.is_account,
            context=lambda entity_context: pages.account_card(state.inventory, entity_context),
            template_dir=str(HERE / "templates"),
        ),
        EntityCard(
            "aws-clusters",
            "Runs on",
            "clusters_card.html",
            area="side",
            weight=12,
            applies_to=lambda entity: pages.runs_on_clusters(state.inventory, entity),
            context=lambda entity_context: pages.clusters_card(state.inventory, entity_context),
            template_dir=str(HERE / "templates"),
        ),
    ]


@hookimpl
def register_nav_items() -> list[NavItem]:
    return [NavItem("Accounts", "/aws/", weight=26, icon="cloud")]


@hookimpl
def register_commands(cli: Typer, portal: CommandPortal) -> None:
    from callboard_aws import cli as commands

    commands.add_commands(cli, portal)


@hookimpl
def startup(context: PluginContext) -> None:
    from callboard_aws import demo

    inventory = _inventory(context)
    settings: Settings = context.config
    if settings.demo and state.moto is None:
        if importlib.util.find_spec("moto") is None:
            # The demo is a showcase: without its stand-in the portal still starts, and says how to get it.
            log.warning(
                "aws demo: no moto server to stand in for AWS; install it with: pip install 'callboard-aws[demo]'"
            )
        else:
            state.moto = demo.start()
    if state.moto is not None:
        inventory.stand_in, inventory.ready = state.moto.stand_in, state.moto.ready
    context.events.subscribe(DEPLOYMENTS_CHANGED, lambda topic, payload: _deployments_changed(inventory, payload))


@hookimpl
def shutdown(context: PluginContext) -> None:
    if state.moto is not None:
        state.moto.stop()
    state.moto = None
    state.inventory = None


def _inventory(context: PluginContext) -> Inventory:
    from callboard_aws import demo
    from callboard_aws.inventory import Inventory

    if state.inventory is None or state.inventory.context is not context:
        settings: Settings = context.config
        if settings.demo:
            demo.configure(settings)
        state.inventory = Inventory(context)
    return state.inventory


def _deployments_changed(inventory: Inventory, payload: Mapping[str, Any]) -> None:
    from callboard_aws import store

    running = payload.get("running")
    if isinstance(running, dict) and running:
        store.set_running(
            inventory.context.database,
            {str(place): [str(ref) for ref in refs or []] for place, refs in running.items()},
        )
