"""A change event: what changed, where and when, and which catalog entities it concerns."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from callboard.sdk import EntityRef, EntityRefError, InputError

#: The types of change, as the API and CloudEvents (``dev.callboard.change.<type>``) name them.
TYPES = (
    "deployment",
    "build",
    "release",
    "push",
    "pull-request-merged",
    "config-change",
    "feature-flag",
    "infrastructure-change",
    "incident-opened",
    "incident-acknowledged",
    "incident-resolved",
    "alert",
    "vulnerability",
    "custom",
)
INCIDENT_TYPES = ("incident-opened", "incident-acknowledged", "incident-resolved")

#: Longest values kept per field; longer ones are refused with the field's name (never cut silently).
LIMITS = {
    "source": 200,
    "external_id": 400,
    "actor": 200,
    "title": 500,
    "url": 2000,
    "environment": 100,
    "market": 100,
    "cluster": 200,
    "version": 200,
}
MAX_ATTRIBUTES_BYTES = 16_384
MAX_ENTITY_REFS = 50

#: How an event names what it concerns without an entity ref: an annotation and its value
#: (``github.com/project-slug=acme/payments``), matched to the entities that carry it.
MATCHED_ANNOTATIONS = (
    "github.com/project-slug",
    "gitlab.com/project-slug",
    "backstage.io/kubernetes-id",
    "pagerduty.com/service-id",
)


@dataclass(frozen=True)
class ChangeEvent:
    """One change, immutable once stored; ``(source, external_id)`` identifies it across deliveries."""

    type: str
    source: str
    external_id: str
    time: float
    title: str
    actor: str = ""
    url: str = ""
    environment: str = ""
    market: str = ""
    cluster: str = ""
    version: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    #: Entities named outright (refs, lower-cased ``kind:namespace/name``).
    entity_refs: tuple[str, ...] = ()
    #: Annotations that name entities (``<annotation>=<value>``), resolved against the catalog when stored.
    match_keys: tuple[str, ...] = ()


def match_key(annotation: str, value: str) -> str:
    return f"{annotation.lower()}={value.strip().lower()}"


def parse_time(value: Any, field_name: str) -> float:
    """Seconds since the epoch from an ISO 8601 text (``Z`` or an offset), a number, or a datetime."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
        return seconds / 1000 if seconds > 1e11 else seconds  # milliseconds, as some tools send
    if isinstance(value, str) and value.strip():
        text = value.strip()
        for candidate in (text.replace("Z", "+00:00"), text.replace(" UTC", "+00:00")):
            try:
                moment = datetime.fromisoformat(candidate)
            except ValueError:
                continue
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
        try:  # GitLab's "2021-04-28 21:50:00 +0200"
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z").timestamp()
        except ValueError:
            pass
    raise InputError(f"{field_name}: {value!r} is not a time; give ISO 8601, e.g. 2026-12-06T09:30:00Z")


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entity_ref(raw: str, field_name: str = "entityRefs", default_kind: str = "component") -> str:
    """A ref as stored: ``component:default/payments`` (``payments`` alone is of ``default_kind``)."""
    try:
        return EntityRef.parse(raw.strip(), default_kind=default_kind).key
    except (EntityRefError, AttributeError) as error:
        raise InputError(f"{field_name}: {raw!r} is not an entity ref ({error}); write kind:namespace/name") from None


def checked(event: ChangeEvent) -> ChangeEvent:
    """The event if every field is acceptable, else an ``InputError`` naming the field and the fix."""
    if event.type not in TYPES:
        raise InputError(f"type: {event.type!r} is not a change type; use one of {', '.join(TYPES)}")
    for name, limit in LIMITS.items():
        value = getattr(event, name)
        if not isinstance(value, str):
            raise InputError(f"{name}: must be text, not {type(value).__name__}")
        if len(value) > limit:
            raise InputError(f"{name}: {len(value)} characters; at most {limit}")
    if not event.source or not event.external_id:
        raise InputError("source and id: both are needed; together they make a change stored once")
    if not event.title.strip():
        raise InputError("title: say what changed in a few words")
    if not math.isfinite(event.time) or event.time <= 0:
        raise InputError(f"time: {event.time!r} is not a time")
    if event.url and not event.url.startswith(("https://", "http://")):
        raise InputError(f"url: {event.url[:80]!r} must be an http(s) link to the change at its source")
    if len(event.entity_refs) > MAX_ENTITY_REFS:
        raise InputError(f"entityRefs: {len(event.entity_refs)} refs; at most {MAX_ENTITY_REFS}")
    try:
        size = len(orjson.dumps(dict(event.attributes)))
    except TypeError as error:
        raise InputError(f"attributes: not JSON ({error})") from None
    if size > MAX_ATTRIBUTES_BYTES:
        raise InputError(f"attributes: {size} bytes as JSON; at most {MAX_ATTRIBUTES_BYTES}")
    refs = tuple(dict.fromkeys(entity_ref(ref) for ref in event.entity_refs))
    return replace(event, entity_refs=refs, title=event.title.strip())


def from_fields(data: Mapping[str, Any], *, source: str, now: float) -> ChangeEvent:
    """An event from the JSON the generic API and the CLI send (camelCase names, as the API answers)."""
    if not isinstance(data, Mapping):
        raise InputError("body: a JSON object with type, id, title and entityRefs")
    refs = data.get("entityRefs") or []
    if isinstance(refs, str):
        refs = [refs]
    if not isinstance(refs, Sequence) or not all(isinstance(ref, str) for ref in refs):
        raise InputError("entityRefs: a list of entity refs, e.g. ['component:default/payments']")
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        raise InputError("attributes: an object of free attributes")
    external_id = data.get("id")
    if not isinstance(external_id, str) or not external_id:
        raise InputError("id: the change's id at its source (text), so that sending it twice stores it once")
    return checked(
        ChangeEvent(
            type=str(data.get("type") or ""),
            source=str(data.get("source") or source),
            external_id=external_id,
            time=parse_time(data["time"], "time") if data.get("time") is not None else now,
            title=str(data.get("title") or ""),
            actor=str(data.get("actor") or ""),
            url=str(data.get("url") or ""),
            environment=str(data.get("environment") or ""),
            market=str(data.get("market") or ""),
            cluster=str(data.get("cluster") or ""),
            version=str(data.get("version") or ""),
            attributes=dict(attributes),
            entity_refs=tuple(refs),
        )
    )
