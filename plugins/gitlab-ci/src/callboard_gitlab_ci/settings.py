"""The plugin's configuration, under ``plugins.gitlab-ci`` in app-config (GitLab's address and token come from
Backstage's ``integrations.gitlab``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    host: str | None = Field(
        None, description="Which integrations.gitlab entry to call, by host (default: the first one configured)"
    )
    cache_seconds: float = Field(
        60.0, alias="cacheSeconds", ge=0, le=3600, description="How long GitLab's answers are shared between viewers"
    )
    per_page: int = Field(20, alias="perPage", ge=1, le=100, description="Pipelines shown per page of the CI/CD tab")
    change_events: bool = Field(
        True, alias="changeEvents", description="Publish finished pipelines as change events (with that plugin)"
    )
