"""Links to logs and dashboards, computed per entity and place from the URL templates in config."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from callboard_deployments.settings import Link

_VARIABLE = re.compile(r"\$\{\{\s*([\w.\[\]'\"/-]+)\s*\}\}")
#: Minutes either side of a chosen change that a link opens at (else the last hour).
AROUND_MINUTES = 30


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Computed:
    title: str
    url: str
    kind: str


def fill(template: str, entity: Mapping[str, Any], values: Mapping[str, Any], *, quote: bool = True) -> str:
    """``template`` with each ``${{ name }}`` replaced: ``entity.<path>`` from the entity, others from ``values``.
    In URLs values are percent-encoded; in PromQL (``quote=False``) double quotes are escaped."""

    def value_of(found: re.Match[str]) -> str:
        name = found.group(1)
        if name.startswith("entity."):
            value: Any = entity
            for part in re.findall(r"[^.\[\]'\"]+", name.removeprefix("entity.")):
                value = value.get(part) if isinstance(value, Mapping) else None
        elif name in values:
            value = values[name]
        else:
            raise TemplateError(
                f"${{{{ {name} }}}} is not known; use entity.<path> or one of {', '.join(sorted(values))}"
            )
        text = "" if value is None else str(value)
        return _quote(text) if quote else text.replace("\\", "\\\\").replace('"', '\\"')

    return _VARIABLE.sub(value_of, template)


def _quote(text: str) -> str:
    return quote(text, safe="")


def window(now: float, at: float | None) -> tuple[float, float]:
    """The time range a link opens at: around a chosen change, else the hour before now."""
    if at is not None:
        return at - AROUND_MINUTES * 60, min(now, at + AROUND_MINUTES * 60)
    return now - 3600, now


def compute(
    links: Sequence[Link], entity: Mapping[str, Any], place: Mapping[str, Any], span: tuple[float, float]
) -> tuple[list[Computed], list[str]]:
    """The links that apply to ``place`` (its environment, market, cluster, namespace, version), and the
    problems of those that could not be filled."""
    start, end = span
    values = {
        "environment": place.get("environment", ""),
        "market": place.get("market", ""),
        "cluster": place.get("cluster", ""),
        "namespace": place.get("namespace", "") or entity.get("metadata", {}).get("namespace", "default"),
        "version": place.get("version", ""),
        "from": int(start * 1000),
        "to": int(end * 1000),
        "fromIso": _iso(start),
        "toIso": _iso(end),
    }
    found, problems = [], []
    for link in links:
        if link.environments and values["environment"] not in link.environments:
            continue
        try:
            found.append(Computed(link.title, fill(link.url, entity, values), link.kind))
        except TemplateError as error:
            problems.append(f"deployments.links {link.title!r}: {error}")
    return found, problems


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
