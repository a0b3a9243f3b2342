"""The plugin's configuration, under ``plugins.aws`` in app-config."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from callboard_aws.types import selected

SECRETS: tuple[str, ...] = ("accounts.externalId",)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Organization(_Model):
    """The management (or delegated administrator) account, reached with boto3's standard credentials chain."""

    role_arn: str | None = Field(
        None, alias="roleArn", description="A role to assume first for the Organizations calls (else the chain's)"
    )
    region: str = Field("us-east-1", description="Where the Organizations API is called")


class Accounts(_Model):
    """How each member account is entered: a role of this name assumed with STS."""

    role_name: str = Field("CallboardReadOnly", alias="roleName", min_length=1, max_length=64)
    external_id: str | None = Field(None, alias="externalId", min_length=2, max_length=1224)
    session_name: str = Field("callboard-inventory", alias="sessionName", min_length=2, max_length=64)
    include: list[str] = Field(default_factory=list, description="Only these account ids (default: every one)")
    exclude: list[str] = Field(default_factory=list, description="Never these account ids")

    @field_validator("include", "exclude")
    @classmethod
    def _account_ids(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.fullmatch(r"\d{12}", value):
                raise ValueError(f"{value!r} is not an AWS account id (twelve digits)")
        return values


class NamingRule(_Model):
    """A regular expression whose ``component`` group names the component a resource belongs to, tried on the
    resource's name when no tag names it (e.g. ``^(?P<component>[a-z0-9-]+)-(prod|staging|dev)$``)."""

    pattern: str
    types: list[str] = Field(default_factory=list, description="Only for these spec.types (default: every one)")

    @field_validator("pattern")
    @classmethod
    def _has_component_group(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from None
        if "component" not in compiled.groupindex:
            raise ValueError("the pattern needs a named group (?P<component>...) for the component's name")
        return value


class TerraformState(_Model):
    """Where Terraform state files are: an S3 backend (``s3://bucket/prefix``) or a local file or folder."""

    s3: str | None = Field(None, description="s3://bucket/key or s3://bucket/prefix/ (every *.tfstate under it)")
    path: str | None = Field(None, description="A .tfstate file, or a folder searched for them")
    region: str | None = Field(None, description="The bucket's region (else the organisation's)")
    repository: str | None = Field(None, description="The repository that owns this state, e.g. its URL")
    workspace: str | None = Field(None, description="The workspace (else read from env:/<workspace>/ keys)")

    @model_validator(mode="after")
    def _one_place(self) -> TerraformState:
        if (self.s3 is None) == (self.path is None):
            raise ValueError("give exactly one of s3 (s3://bucket/key) or path (a file or folder)")
        if self.s3 is not None and not re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?", self.s3):
            raise ValueError(f"{self.s3!r} is not s3://<bucket>/<key or prefix>")
        return self


class Settings(_Model):
    organization: Organization = Field(default_factory=lambda: Organization.model_validate({}))
    accounts: Accounts = Field(default_factory=lambda: Accounts.model_validate({}))
    regions: list[str] = Field(default_factory=lambda: ["us-east-1"], min_length=1)
    resource_types: list[str] = Field(
        default_factory=list, alias="resourceTypes", description="Which kinds of resource to read (default: all)"
    )
    owner_tags: list[str] = Field(
        default_factory=lambda: ["owner", "team"], alias="ownerTags", description="Tags naming an owner, in order"
    )
    owners: dict[str, str] = Field(
        default_factory=dict, description="Tag value -> group ref (e.g. payments: group:default/payments-team)"
    )
    component_tags: list[str] = Field(
        default_factory=lambda: ["backstage.io/component", "component"], alias="componentTags"
    )
    system_tags: list[str] = Field(default_factory=lambda: ["backstage.io/system", "system"], alias="systemTags")
    environment_tags: list[str] = Field(default_factory=lambda: ["environment", "env"], alias="environmentTags")
    naming_rules: list[NamingRule] = Field(default_factory=list, alias="namingRules")
    namespace: str = Field("default", description="The catalog namespace the entities are written in")
    unowned_group: str = Field(
        "group:default/unowned",
        alias="unownedGroup",
        description="spec.owner of what no tag resolves (each is labelled and listed on the Accounts page)",
    )
    concurrency: int = Field(8, ge=1, le=64, description="Accounts and regions read at once")
    max_attempts: int = Field(8, ge=1, le=20, alias="maxAttempts", description="Per call, with adaptive backoff")
    retry_mode: Literal["adaptive", "standard"] = Field("adaptive", alias="retryMode")
    every_minutes: float = Field(60.0, gt=0, alias="everyMinutes")
    timeout_minutes: float = Field(60.0, gt=0, alias="timeoutMinutes")
    terraform: list[TerraformState] = Field(default_factory=list)
    demo: bool = False

    @field_validator("resource_types")
    @classmethod
    def _known_types(cls, ids: list[str]) -> list[str]:
        selected(ids)
        return ids

    @field_validator("owners")
    @classmethod
    def _group_refs(cls, owners: dict[str, str]) -> dict[str, str]:
        for tag_value, ref in owners.items():
            if not re.fullmatch(r"(group:)?([a-z0-9._-]+/)?[A-Za-z0-9._-]+", ref):
                raise ValueError(f"owners[{tag_value!r}] = {ref!r} is not a group ref such as group:default/payments")
        return owners
