"""Your organisation's people: Users and Groups from where the organisation keeps them, written against
``callboard.sdk`` only.

- config: Backstage's ``catalog.providers.ldapOrg.<id>`` (target, bind, tls, users, groups, vendor, schedule),
  read as Backstage's LDAP module reads it, ``catalog.providers.githubOrg`` (id, githubUrl, orgs, schedule) and
  ``catalog.providers.microsoftGraphOrg.<id>`` (tenantId, clientId, clientSecret, user, group, userGroupMember)
- entity providers: ``ldap-<id>``, ``github-<id>`` and ``msgraph-<id>`` per configured source, on their
  schedules (one replica at a time); each run replaces its Users and Groups, so people who left leave
- health check: each directory accepts the bind
- command: ``callboard org read`` reads the directories now and prints what was found
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from callboard.sdk import (
    CommandPortal,
    EntityProvider,
    HealthCheck,
    NotFoundError,
    PluginConfig,
    PluginContext,
    ProviderConnection,
    UpstreamError,
    hookimpl,
)
from callboard_org.settings import GithubOrgProvider, LdapProvider, MicrosoftGraphProvider, Settings

# The LDAP client is imported inside the hooks that use it: every command loads every plugin before it runs.
if TYPE_CHECKING:
    from typer import Typer

CALLBOARD_PLUGIN_API = "1.8"


@hookimpl
def register_config() -> PluginConfig:
    return PluginConfig(
        Settings,
        shared_keys=("catalog.providers.ldapOrg", "catalog.providers.githubOrg", "catalog.providers.microsoftGraphOrg"),
    )


@hookimpl
def register_entity_providers(context: PluginContext) -> list[EntityProvider]:
    settings: Settings = context.config
    return (
        [
            EntityProvider(
                f"ldap-{provider_id}",
                _refresh(provider_id, provider),
                every_seconds=provider.schedule.frequency_seconds,
                timeout_seconds=provider.schedule.timeout_seconds,
            )
            for provider_id, provider in settings.ldap_org.items()
        ]
        + [
            EntityProvider(
                f"github-{provider.id}",
                _refresh_github(context, provider),
                every_seconds=provider.schedule.frequency_seconds,
                timeout_seconds=provider.schedule.timeout_seconds,
            )
            for provider in settings.github_org
        ]
        + [
            EntityProvider(
                f"msgraph-{provider_id}",
                _refresh_graph(context, provider_id, provider),
                every_seconds=provider.schedule.frequency_seconds,
                timeout_seconds=provider.schedule.timeout_seconds,
            )
            for provider_id, provider in settings.microsoft_graph_org.items()
        ]
    )


def _refresh_graph(
    context: PluginContext, provider_id: str, provider: MicrosoftGraphProvider
) -> Callable[[ProviderConnection], str]:
    def refresh(connection: ProviderConnection) -> str:
        from callboard_org.msgraph_reader import access_token, read_tenant

        authority = urlsplit(provider.authority)
        with context.vendor_client(f"msgraph-{provider_id}-login", f"{authority.scheme}://{authority.netloc}") as login:
            token = access_token(login, provider)
        target = urlsplit(provider.target)
        headers = {"Authorization": f"Bearer {token}"}
        with context.vendor_client(f"msgraph-{provider_id}", f"{target.scheme}://{target.netloc}", headers) as graph:
            org = read_tenant(graph, provider)
        connection.replace(org.entities)
        return f"{len(org.users)} users and {len(org.groups)} groups from tenant {provider.tenant_id}"

    return refresh


def _refresh_github(context: PluginContext, provider: GithubOrgProvider) -> Callable[[ProviderConnection], str]:
    def refresh(connection: ProviderConnection) -> str:
        from callboard_org.github_reader import client_name, read_organisations

        try:
            http = context.http_client(client_name(provider))
        except NotFoundError as missing:
            raise UpstreamError(f"{missing} (catalog.providers.githubOrg reads through integrations.github)") from None
        with http:
            org = read_organisations(http, provider)
        connection.replace(org.entities)
        return f"{len(org.users)} users and {len(org.groups)} teams from {', '.join(provider.orgs)}"

    return refresh


def _refresh(provider_id: str, provider: LdapProvider) -> Callable[[ProviderConnection], str]:
    def refresh(connection: ProviderConnection) -> str:
        from callboard_org.ldap_reader import read, with_locations

        org = read(provider)
        connection.replace([with_locations(provider_id, entity) for entity in org.entities])
        skipped = f"; skipped {len(org.skipped)}: {'; '.join(org.skipped[:5])}" if org.skipped else ""
        return f"{len(org.users)} users and {len(org.groups)} groups from {provider.target}{skipped}"

    return refresh


@hookimpl
def register_health_checks(context: PluginContext) -> list[HealthCheck]:
    settings: Settings = context.config

    def bind(provider: LdapProvider) -> Callable[[], str | None]:
        def check() -> str | None:
            from callboard_org.ldap_reader import connect

            try:
                connect(provider).unbind()
            except UpstreamError as error:
                return str(error)
            return None

        return check

    return [
        HealthCheck(f"ldap-{provider_id}", f"{provider.target} accepts the bind", bind(provider))
        for provider_id, provider in settings.ldap_org.items()
    ]


@hookimpl
def register_commands(cli: Typer, portal: CommandPortal) -> None:
    from callboard_org.cli import add_commands

    add_commands(cli, portal)
