"""The shape of ``auth``, ``backend.auth`` and ``permission`` in app-config, validated at start-up."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RESOLVERS = (
    "emailMatchingUserEntityProfileEmail",
    "emailLocalPartMatchingUserEntityName",
    "emailMatchingUserEntityAnnotation",
    "usernameMatchingUserEntityName",
    "userIdMatchingUserEntityAnnotation",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ResolverConfig(_Model):
    resolver: Literal[
        "emailMatchingUserEntityProfileEmail",
        "emailLocalPartMatchingUserEntityName",
        "emailMatchingUserEntityAnnotation",
        "usernameMatchingUserEntityName",
        "userIdMatchingUserEntityAnnotation",
    ]
    annotation: str | None = None
    dangerously_allow_sign_in_without_user_in_catalog: bool = Field(
        False, alias="dangerouslyAllowSignInWithoutUserInCatalog"
    )


class SignInConfig(_Model):
    resolvers: list[ResolverConfig] = Field(default_factory=list)


class OidcConfig(_Model):
    metadata_url: str = Field(alias="metadataUrl")
    client_id: str = Field(alias="clientId")
    client_secret: str = Field(alias="clientSecret")
    scope: str = "openid profile email"
    prompt: str | None = None
    sign_in: SignInConfig = Field(default_factory=SignInConfig, alias="signIn")


class GithubConfig(_Model):
    client_id: str = Field(alias="clientId")
    client_secret: str = Field(alias="clientSecret")
    enterprise_instance_url: str | None = Field(None, alias="enterpriseInstanceUrl")
    api_base_url: str | None = Field(None, alias="apiBaseUrl")
    sign_in: SignInConfig = Field(default_factory=SignInConfig, alias="signIn")


class GuestConfig(_Model):
    user_entity_ref: str = Field("user:default/guest", alias="userEntityRef")
    dangerously_allow_outside_development: bool = Field(False, alias="dangerouslyAllowOutsideDevelopment")


class SessionConfig(_Model):
    lifetime_hours: float = Field(12.0, alias="lifetimeHours", gt=0)
    secure: bool | None = None  # None: Secure when the portal's base URL is https


class AuthConfig(_Model):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    environment: str = "development"
    session: SessionConfig = Field(default_factory=lambda: SessionConfig.model_validate({}))
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    token_lifetime_hours: float = Field(1.0, alias="tokenLifetimeHours", gt=0)

    def provider(self, name: str) -> dict[str, Any] | None:
        """A provider's settings for the current environment (Backstage nests them under the environment)."""
        found = self.providers.get(name)
        if found is None:
            return None
        if isinstance(found.get(self.environment), dict):
            return dict(found[self.environment])
        return dict(found)


class StaticTokenOptions(_Model):
    token: str
    subject: str

    @field_validator("token")
    @classmethod
    def _strong_enough(cls, token: str) -> str:
        if len(token) < 8 or any(c.isspace() for c in token):
            raise ValueError("a static token must be at least 8 characters and contain no whitespace")
        return token


class ExternalAccess(_Model):
    type: Literal["static"]
    options: StaticTokenOptions


class BackendAuthConfig(_Model):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    external_access: list[ExternalAccess] = Field(default_factory=list, alias="externalAccess")


class RuleConditions(_Model):
    is_entity_owner: bool = Field(False, alias="isEntityOwner")
    kind: list[str] = Field(default_factory=list)
    has_annotation: str | None = Field(None, alias="hasAnnotation")
    has_label: str | None = Field(None, alias="hasLabel")
    has_spec: dict[str, str] = Field(default_factory=dict, alias="hasSpec")


class PermissionRule(_Model):
    permission: str | list[str]
    principals: list[str] = Field(default_factory=lambda: ["*"])
    decision: Literal["allow", "deny"] = "allow"
    conditions: RuleConditions | None = None

    def permissions(self) -> list[str]:
        return [self.permission] if isinstance(self.permission, str) else list(self.permission)


class PermissionConfig(_Model):
    enabled: bool = True
    default_decision: Literal["allow", "deny"] = Field("allow", alias="defaultDecision")
    rules: list[PermissionRule] = Field(default_factory=list)
