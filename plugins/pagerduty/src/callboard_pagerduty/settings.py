"""The plugin's configuration: Backstage's ``pagerDuty`` key, so an adopter's app-config carries over."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SECRETS = ("apiToken", "integrationKeys")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    api_token: str | None = Field(
        None, alias="apiToken", description="A read-only REST API key (PagerDuty: Integrations, API Access Keys)"
    )
    api_base_url: str = Field("https://api.pagerduty.com", alias="apiBaseUrl")
    events_base_url: str = Field("https://events.pagerduty.com/v2", alias="eventsBaseUrl")
    integration_keys: dict[str, str] = Field(
        default_factory=dict,
        alias="integrationKeys",
        description="Events API v2 keys by PagerDuty service id, kept on the server: services whose catalog entry "
        "names only pagerduty.com/service-id can then be paged without the key in catalog-info.yaml",
    )
    cache_seconds: float = Field(
        60.0, alias="cacheSeconds", ge=0, le=3600, description="How long PagerDuty's answers are shared between viewers"
    )
    on_call_days: int = Field(
        7, alias="onCallDays", ge=1, le=90, description="How far ahead the tab looks for who is on call next"
    )
