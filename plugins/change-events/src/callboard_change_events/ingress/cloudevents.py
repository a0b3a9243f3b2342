"""CloudEvents 1.0 over HTTP, structured (``application/cloudevents+json``) and binary (``ce-*`` headers)
modes, read with the CNCF's ``cloudevents`` SDK: the way in for Argo CD notifications, Flux, Terraform runs,
feature-flag services and in-house tools.

``type`` is ``dev.callboard.change.<type>``; ``subject`` the entity ref; ``id`` and ``source`` identify the
change; ``data`` carries ``title``, ``version``, ``environment``, ``market``, ``cluster``, ``url``, ``actor``
and, optionally, ``entityRefs`` and ``attributes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from cloudevents.core.exceptions import BaseCloudEventException

from callboard_change_events.ingress import Refused, member
from callboard_change_events.model import TYPES, ChangeEvent, match_key, parse_time

PREFIX = "dev.callboard.change."
_FIELDS = ("title", "version", "environment", "market", "cluster", "url", "actor")


def parse(headers: Mapping[str, str], body: bytes, *, now: float) -> ChangeEvent:
    try:
        event = from_http_event(HTTPMessage(headers=dict(headers), body=body))
    except (BaseCloudEventException, ValueError, TypeError, KeyError) as error:
        raise Refused(400, f"not a CloudEvent: {error}") from None
    ce_type = event.get_type()
    if not ce_type.startswith(PREFIX) or ce_type[len(PREFIX) :] not in TYPES:
        raise Refused(400, f"type {ce_type!r}: use {PREFIX}<type>, <type> one of {', '.join(TYPES)}")
    data: Any = event.get_data()
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise Refused(400, "data: a JSON object with title, version, environment, url ...")
    subject = event.get_subject()
    refs = [subject] if subject else []
    extra_refs = data.get("entityRefs") or []
    if isinstance(extra_refs, list):
        refs.extend(str(ref) for ref in extra_refs)
    attributes = member(data, "attributes")
    annotations = member(data, "annotations")
    keys = tuple(match_key(name, str(value)) for name, value in annotations.items() if isinstance(value, str | int))
    moment = event.get_time()
    fields = {name: str(data.get(name) or "") for name in _FIELDS}
    return ChangeEvent(
        type=ce_type[len(PREFIX) :],
        source=f"cloudevents:{event.get_source()}",
        external_id=event.get_id(),
        time=parse_time(moment, "time") if moment is not None else now,
        entity_refs=tuple(refs),
        attributes=dict(attributes),
        match_keys=keys,
        **fields,
    )
