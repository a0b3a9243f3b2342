"""The plugin's settings, from ``changeEvents`` in app-config."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class GitHub(_Section):
    #: The webhook's secret: deliveries without a matching ``X-Hub-Signature-256`` are refused.
    webhook_secret: str | None = Field(None, alias="webhookSecret", min_length=8)
    #: Pull deployments and releases of the catalog's repositories (``github.com/project-slug``) on a schedule,
    #: through the ``integrations.github`` client (its token stays on the server).
    backfill: bool = False
    backfill_every_minutes: float = Field(60.0, alias="backfillEveryMinutes", gt=0)


class GitLab(_Section):
    #: Compared with the ``X-Gitlab-Token`` header of each delivery.
    webhook_token: str | None = Field(None, alias="webhookToken", min_length=8)


class PagerDuty(_Section):
    #: The v3 webhook subscription's signing secret (``X-PagerDuty-Signature``).
    webhook_secret: str | None = Field(None, alias="webhookSecret", min_length=8)


class Rule(_Section):
    """Map events to an entity by what they carry: every ``match`` path (``attributes.service``, ``source``,
    ``environment``) must equal its value, or fit it as a glob (``payments-*``)."""

    match: dict[str, str] = Field(min_length=1)
    #: The entity the matched events concern, or ...
    entity: str | None = None
    #: ... a path whose value names it (``attributes.service`` holding ``payments`` → component ``payments``).
    entity_from: str | None = Field(None, alias="entityFrom")
    kind: str = "component"


class Retention(_Section):
    #: Events older than this are deleted (each type may say otherwise in ``perType``).
    max_age_days: int = Field(400, alias="maxAgeDays", ge=1, le=36_500)
    per_type: dict[str, int] = Field(default_factory=dict, alias="perType")
    #: At most this many events per type are kept, the newest ones (none: no limit).
    max_per_type: int | None = Field(None, alias="maxPerType", ge=100)


class Settings(_Section):
    github: GitHub = Field(default_factory=lambda: GitHub.model_validate({}))
    gitlab: GitLab = Field(default_factory=lambda: GitLab.model_validate({}))
    pagerduty: PagerDuty = Field(default_factory=lambda: PagerDuty.model_validate({}))
    rules: list[Rule] = Field(default_factory=list)
    retention: Retention = Field(default_factory=lambda: Retention.model_validate({}))
    #: Webhook deliveries and CloudEvents whose change happened longer ago than this are refused as replays
    #: (GitHub lets people redeliver for 3 days).
    replay_window_minutes: float = Field(4320.0, alias="replayWindowMinutes", gt=0)
    #: Below the portal's own limit for API bodies (backend.limits.requestBody.api, 1 MiB by default).
    max_body_bytes: int = Field(524_288, alias="maxBodyBytes", ge=1024, le=26_214_400)
    #: How far "what changed before this?" walks dependencies, and how far back it looks.
    correlation_depth: int = Field(2, alias="correlationDepth", ge=0, le=4)
    correlation_hours: float = Field(24.0, alias="correlationHours", gt=0, le=24 * 90)
    #: Events of the last days that search finds (by title and version).
    search_days: int = Field(30, alias="searchDays", ge=0, le=3650)
    timeline_lanes: Literal["type", "environment"] = Field("type", alias="timelineLanes")
    #: Fill an empty portal with a made-up month of changes over its catalog (``callboard demo`` sets it).
    demo: bool = False


SECRETS = ("github.webhookSecret", "gitlab.webhookToken", "pagerduty.webhookSecret")
