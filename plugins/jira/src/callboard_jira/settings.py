"""The plugin's configuration: the ``jira`` key (``baseUrl``, and ``email`` + ``apiToken`` for Jira Cloud or
``token`` for Data Center)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SECRETS = ("apiToken", "token")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    base_url: str | None = Field(None, alias="baseUrl", description="https://<site>.atlassian.net, or your server")
    email: str | None = Field(None, description="Jira Cloud: the account the API token belongs to")
    api_token: str | None = Field(None, alias="apiToken", description="Jira Cloud: an API token of that account")
    token: str | None = Field(None, description="Jira Data Center: a personal access token (sent as bearer)")
    product: Literal["cloud", "datacenter"] | None = Field(
        None, description="Which Jira (default: cloud with email + apiToken, datacenter with token)"
    )
    cache_seconds: float = Field(120.0, alias="cacheSeconds", ge=0, le=3600)
    max_issues: int = Field(
        500, alias="maxIssues", ge=50, le=5000, description="Open issues counted per project (beyond: 'at least')"
    )
    recent_days: int = Field(14, alias="recentDays", ge=1, le=90, description="How far back Recent activity looks")

    @model_validator(mode="after")
    def _credentials(self) -> Settings:
        if self.token and (self.email or self.api_token):
            raise ValueError("give token (Data Center) or email + apiToken (Cloud), not both")
        if bool(self.email) != bool(self.api_token):
            raise ValueError("Jira Cloud needs both email and apiToken")
        return self

    @property
    def flavour(self) -> Literal["cloud", "datacenter"]:
        if self.product:
            return self.product
        return "datacenter" if self.token else "cloud"
