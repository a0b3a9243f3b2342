"""``catalog.providers.discovery``: where to look for repositories, who owns what, how often to look."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    frequency: dict[str, float] = Field(default_factory=lambda: {"minutes": 30.0})

    def seconds(self) -> float:
        units = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
        return sum(units[unit] * value for unit, value in self.frequency.items() if unit in units) or 1800.0


class DiscoverySource(BaseModel):
    """One discovery source (Backstage's ``catalog.providers.<provider>.<id>`` shape)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    type: Literal["local", "git", "github"] = Field(
        description="local: a folder of clones; git: clone URLs; github: an organisation through the REST API."
    )
    path: str | None = Field(None, description="For local: the folder holding the clones (or one clone).")
    remotes: list[str] = Field(default_factory=list, description="For git: clone or browse URLs.")
    organization: str | None = Field(None, description="For github: the organisation to read.")
    api_base_url: str = Field("https://api.github.com", alias="apiBaseUrl", description="For github: the API.")
    host: str = Field("github.com", description="For github: the host whose integrations token is used.")
    default_owner: str = Field("group:unowned", alias="defaultOwner", description="Owner when CODEOWNERS says nothing.")
    handles: dict[str, str] = Field(default_factory=dict, description="CODEOWNERS handle → owner entity ref.")
    overrides: str | None = Field(None, description="A YAML file of patches keyed by entity ref.")
    min_confidence: dict[str, float] = Field(
        default_factory=dict,
        alias="minConfidence",
        description="Field (or * for every other) → the confidence below which it is left for review, not guessed.",
    )
    schedule: Schedule = Field(default_factory=Schedule)

    def check(self, where: str) -> None:
        if self.type == "local" and not self.path:
            raise ValueError(f"{where}.path: a local source needs the folder holding the repositories")
        if self.type == "git" and not self.remotes:
            raise ValueError(f"{where}.remotes: a git source needs at least one repository URL")
        for name, value in self.min_confidence.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(
                    f"{where}.minConfidence.{name}: {value} is not a confidence; give a number from 0 to 1 (e.g. 0.6)"
                )
        if self.type == "github" and not self.organization:
            raise ValueError(f"{where}.organization: a github source needs the organisation to read")


def parse_sources(data: Any, base: Path) -> dict[str, DiscoverySource]:
    """Sources by id from ``catalog.providers.discovery``, with relative paths resolved against ``base``."""
    sources: dict[str, DiscoverySource] = {}
    for source_id, raw in (data or {}).items():
        source = DiscoverySource.model_validate(raw)
        source.check(f"catalog.providers.discovery.{source_id}")
        if source.path and not Path(source.path).is_absolute():
            source.path = str((base / source.path).resolve())
        if source.overrides and not Path(source.overrides).is_absolute():
            source.overrides = str((base / source.overrides).resolve())
        sources[str(source_id)] = source
    return sources
