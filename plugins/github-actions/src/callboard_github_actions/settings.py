"""The plugin's configuration, under ``plugins.github-actions`` in app-config (GitHub's address and credentials
come from Backstage's ``integrations.github``)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    host: str | None = Field(
        None, description="Which integrations.github entry to call, by host (default: the first one configured)"
    )
    cache_seconds: float = Field(
        60.0, alias="cacheSeconds", ge=0, le=3600, description="How long GitHub's answers are shared between viewers"
    )
    per_page: int = Field(20, alias="perPage", ge=1, le=100, description="Runs shown per page of the CI/CD tab")
    deploy_workflows: str = Field(
        r"(?i)deploy|release",
        alias="deployWorkflows",
        description="Workflows (name or file) whose runs are deployments rather than builds, as a regular expression",
    )
    change_events: bool = Field(
        True,
        alias="changeEvents",
        description="Publish completed runs as change events (when that plugin is installed)",
    )

    @field_validator("deploy_workflows")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"not a regular expression ({error}); e.g. (?i)deploy|release") from None
        return value
