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
    TaskSchedule,
    UpstreamError,
    hookimpl,
)
from callboard_org.settings import GithubOrgProvider, LdapProvider, MicrosoftGraphProvider, Settings

# The LDAP client is imported inside the hooks that use it: every command loads every plugin before it runs.
if TYPE_CHECKING:
    from typer import Typer

    from callboard_org.model import Org

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
    sources: list[tuple[str, TaskSchedule, str, Callable[[], Org]]] = [
        *((f"ldap-{key}", p.schedule, p.target, _ldap(key, p)) for key, p in settings.ldap_org.items()),
        *((f"github-{p.id}", p.schedule, ", ".join(p.orgs), _github(context, p)) for p in settings.github_org),
        *(
            (f"msgraph-{key}", p.schedule, f"tenant {p.tenant_id}", _graph(context, key, p))
            for key, p in settings.microsoft_graph_org.items()
        ),
    ]
    return [
        EntityProvider(
            name,
            _replacing(read, where),
            every_seconds=schedule.frequency_seconds,
            timeout_seconds=schedule.timeout_seconds,
        )
        for name, schedule, where, read in sources
    ]


def _replacing(read: Callable[[], Org], where: str) -> Callable[[ProviderConnection], str]:
    """Each run replaces the source's Users and Groups; its outcome names what was read and what was skipped."""

    def refresh(connection: ProviderConnection) -> str:
        org = read()
        connection.replace(org.entities)
        skipped = f"; skipped {len(org.skipped)}: {'; '.join(org.skipped[:5])}" if org.skipped else ""
        return f"{len(org.users)} users and {len(org.groups)} groups from {where}{skipped}"

    return refresh


def _ldap(provider_id: str, provider: LdapProvider) -> Callable[[], Org]:
    def read() -> Org:
        from callboard_org.ldap_reader import read, with_locations

        org = read(provider)
        for entity in org.entities:
            with_locations(provider_id, entity)
        return org

    return read


def _github(context: PluginContext, provider: GithubOrgProvider) -> Callable[[], Org]:
    def read() -> Org:
        from callboard_org.github_reader import client_name, read_organisations

        try:
            http = context.http_client(client_name(provider))
        except NotFoundError as missing:
            raise UpstreamError(f"{missing} (catalog.providers.githubOrg reads through integrations.github)") from None
        with http:
            return read_organisations(http, provider)

    return read


def _graph(context: PluginContext, provider_id: str, provider: MicrosoftGraphProvider) -> Callable[[], Org]:
    def read() -> Org:
        from callboard_org.msgraph_reader import access_token, read_tenant

        authority = urlsplit(provider.authority)
        with context.vendor_client(f"msgraph-{provider_id}-login", f"{authority.scheme}://{authority.netloc}") as login:
            token = access_token(login, provider)
        target = urlsplit(provider.target)
        headers = {"Authorization": f"Bearer {token}"}
        with context.vendor_client(f"msgraph-{provider_id}", f"{target.scheme}://{target.netloc}", headers) as graph:
            return read_tenant(graph, provider)

    return read


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
