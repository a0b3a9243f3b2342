"""Backstage's task schedules as app-config writes them (``schedule: {frequency: {minutes: 30}, timeout: PT3M}``).

A duration is either a "human duration" object (``{hours: 1, minutes: 30}``) or an ISO 8601 duration string
(``PT1H30M``), as Backstage's ``readSchedulerServiceTaskScheduleDefinitionFromConfig`` accepts them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_UNITS = {
    "years": 365 * 86400.0,
    "months": 30 * 86400.0,
    "weeks": 7 * 86400.0,
    "days": 86400.0,
    "hours": 3600.0,
    "minutes": 60.0,
    "seconds": 1.0,
    "milliseconds": 0.001,
}
_ISO = re.compile(
    r"^P(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?(?:(?P<weeks>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def duration_seconds(value: object) -> float:
    """Seconds in ``value``; a ValueError names what is wrong and the forms that work."""
    if isinstance(value, str):
        found = _ISO.match(value.strip())
        if not found or value.strip() in ("P", "PT"):
            raise ValueError(f"{value!r} is not an ISO 8601 duration; write e.g. PT30M or P1D, or {{minutes: 30}}")
        return sum(_UNITS[unit] * float(amount) for unit, amount in found.groupdict().items() if amount)
    if isinstance(value, Mapping) and value:
        unknown = sorted(str(key) for key in value if key not in _UNITS)
        if unknown:
            raise ValueError(f"unknown unit {', '.join(unknown)}; use {', '.join(_UNITS)}")
        return sum(_UNITS[str(unit)] * float(amount) for unit, amount in value.items())
    raise ValueError("a duration is an object such as {minutes: 30} or an ISO 8601 string such as PT30M")


class TaskSchedule(BaseModel):
    """``schedule`` of a Backstage entity provider: how often it runs and how long a run may take."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    frequency: Any = Field(default_factory=lambda: {"hours": 1})
    timeout: Any = Field(default_factory=lambda: {"minutes": 15})
    initial_delay: Any = Field(None, alias="initialDelay")
    scope: str | None = None

    @field_validator("frequency", "timeout", "initial_delay")
    @classmethod
    def _duration(cls, value: object) -> object:
        if value is not None:
            if isinstance(value, Mapping) and "cron" in value:
                raise ValueError("cron schedules are not supported here; give a duration such as {minutes: 30}")
            duration_seconds(value)
        return value

    @property
    def frequency_seconds(self) -> float:
        return duration_seconds(self.frequency)

    @property
    def timeout_seconds(self) -> float:
        return duration_seconds(self.timeout)
