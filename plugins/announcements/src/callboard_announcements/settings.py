"""The plugin's settings, from ``plugins.announcements`` in app-config."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Channel(BaseModel):
    """An announcement channel: becomes a catalog Resource owned by the team (the plugin's entity provider)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    owner: str
    description: str = ""


class Feed(BaseModel):
    """Posts imported on a schedule from a JSON feed (``[{team, title, body}]``) behind a proxy endpoint or
    integration; the portal attaches the credentials, the plugin never sees them."""

    model_config = ConfigDict(extra="forbid")

    client: str = Field(description="an integration (github) or proxy endpoint (proxy:<name>)")
    path: str = "/"
    every_seconds: float = Field(900.0, alias="everySeconds", gt=0)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    title: str = "Announcements"
    keep_days: int = Field(30, alias="keepDays", ge=1, le=3650)
    channels: list[Channel] = Field(default_factory=list)
    feed: Feed | None = None
