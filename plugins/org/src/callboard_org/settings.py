"""Backstage's config keys for organisation data, read as Backstage reads them.

``catalog.providers.ldapOrg.<id>`` (the LDAP module's), with the same defaults: users under ``uid``, ``cn`` and
``mail``; groups under ``cn``, ``description``, ``groupType``, ``member`` and ``memberOf``; scope ``one``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from callboard.sdk import TaskSchedule

#: Field names as Backstage spells them in app-config.
CAMEL = ConfigDict(populate_by_name=True, extra="forbid")


class Bind(BaseModel):
    model_config = CAMEL
    dn: str
    secret: str


class Tls(BaseModel):
    model_config = CAMEL
    reject_unauthorized: bool = Field(True, alias="rejectUnauthorized")
    #: A file of CA certificates (PEM) the server's certificate must chain to.
    certs: str | None = None
    keys: str | None = None


class Paged(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    page_size: int = Field(500, alias="pageSize", ge=1, le=10_000)


class SearchOptions(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")  # ldapjs options Backstage ignores too
    scope: str = "one"
    filter: str | None = None
    attributes: list[str] = Field(default_factory=lambda: ["*", "+"])
    #: Backstage: true, or {pageSize}; Callboard always pages (a directory's size limit would cut a plain search).
    paged: bool | Paged = True

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        if value not in ("base", "one", "sub"):
            raise ValueError("scope is base, one or sub")
        return value

    @property
    def page_size(self) -> int:
        return self.paged.page_size if isinstance(self.paged, Paged) else 500

    def ldap_filter(self, default: str) -> str:
        # Backstage strips the whitespace around parentheses, so multi-line filters work.
        text = self.filter or default
        return re.sub(r"\s*([()])\s*", r"\1", text).strip()


class UserMap(BaseModel):
    model_config = CAMEL
    rdn: str = "uid"
    name: str = "uid"
    description: str | None = None
    display_name: str = Field("cn", alias="displayName")
    email: str = "mail"
    picture: str | None = None
    member_of: str = Field("memberOf", alias="memberOf")


class GroupMap(BaseModel):
    model_config = CAMEL
    rdn: str = "cn"
    name: str = "cn"
    description: str = "description"
    type: str = "groupType"
    display_name: str = Field("cn", alias="displayName")
    email: str | None = None
    picture: str | None = None
    member_of: str = Field("memberOf", alias="memberOf")
    members: str = "member"


class Users(BaseModel):
    model_config = CAMEL
    dn: str
    options: SearchOptions = Field(default_factory=SearchOptions)
    set: dict[str, Any] = Field(default_factory=dict)
    map: UserMap = Field(default_factory=lambda: UserMap.model_validate({}))


class Groups(BaseModel):
    model_config = CAMEL
    dn: str
    options: SearchOptions = Field(default_factory=SearchOptions)
    set: dict[str, Any] = Field(default_factory=dict)
    map: GroupMap = Field(default_factory=lambda: GroupMap.model_validate({}))


class Vendor(BaseModel):
    model_config = CAMEL
    dn_attribute_name: str | None = Field(None, alias="dnAttributeName")
    uuid_attribute_name: str | None = Field(None, alias="uuidAttributeName")


class LdapProvider(BaseModel):
    model_config = CAMEL
    target: str
    bind: Bind | None = None
    tls: Tls | None = None
    users: list[Users] = Field(default_factory=list)
    groups: list[Groups] = Field(default_factory=list)
    schedule: TaskSchedule = Field(default_factory=lambda: TaskSchedule.model_validate({}))
    vendor: Vendor = Field(default_factory=lambda: Vendor.model_validate({}))

    @field_validator("users", "groups", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value  # Backstage takes one object or a list

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        if not value.startswith(("ldap://", "ldaps://")):
            raise ValueError("target is the directory's address, ldap://host:port or ldaps://host:port")
        return value.rstrip("/")


class GithubOrgProvider(BaseModel):
    """One entry of ``catalog.providers.githubOrg`` (Backstage's multi-organisation GitHub provider)."""

    model_config = CAMEL
    id: str = "default"
    github_url: str = Field("https://github.com", alias="githubUrl")
    orgs: list[str] = Field(min_length=1)
    schedule: TaskSchedule = Field(default_factory=lambda: TaskSchedule.model_validate({}))
    #: Backstage puts each organisation's teams in a namespace named after it, unless this is true.
    always_use_default_namespace: bool = Field(False, alias="alwaysUseDefaultNamespace")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,40}", value):
            raise ValueError("id names the provider's scheduled task: lower-case letters, digits and dashes")
        return value


class GraphQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")  # expand, search: Backstage's, not used
    filter: str | None = None
    select: list[str] = Field(default_factory=list)
    include_sub_groups: bool = Field(False, alias="includeSubGroups")


class MicrosoftGraphProvider(BaseModel):
    """One entry of ``catalog.providers.microsoftGraphOrg`` (Backstage's Microsoft Graph provider)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    target: str = "https://graph.microsoft.com/v1.0"
    authority: str = "https://login.microsoftonline.com"
    tenant_id: str = Field(alias="tenantId")
    client_id: str = Field(alias="clientId")
    client_secret: str = Field(alias="clientSecret")
    user: GraphQuery = Field(default_factory=lambda: GraphQuery.model_validate({}))
    #: Only the people in the groups this finds (transitively), rather than every user of the tenant.
    user_group_member: GraphQuery | None = Field(None, alias="userGroupMember")
    group: GraphQuery = Field(default_factory=lambda: GraphQuery.model_validate({}))
    schedule: TaskSchedule = Field(default_factory=lambda: TaskSchedule.model_validate({}))


class Settings(BaseModel):
    """``catalog.providers.ldapOrg`` (one directory per id), ``catalog.providers.githubOrg`` (one or a list) and
    ``catalog.providers.microsoftGraphOrg`` (one tenant per id)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    ldap_org: dict[str, LdapProvider] = Field(default_factory=dict, alias="ldapOrg")
    github_org: list[GithubOrgProvider] = Field(default_factory=list, alias="githubOrg")
    microsoft_graph_org: dict[str, MicrosoftGraphProvider] = Field(default_factory=dict, alias="microsoftGraphOrg")

    @field_validator("github_org", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value
