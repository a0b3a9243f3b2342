"""The small declarative objects plugins hand to Callboard through registration hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class KindRelation:
    """A spec field of a kind whose entity references become relations (``field`` like ``spec.environment``)."""

    field: str
    type: str
    reverse: str | None = None
    default_kind: str | None = None


@dataclass(frozen=True)
class KindDefinition:
    """A kind added without code: its name, accepted apiVersions, the JSON Schema of ``spec`` and relations."""

    kind: str
    api_versions: Sequence[str]
    spec_schema: Mapping[str, Any] | None = None
    relations: Sequence[KindRelation] = field(default_factory=tuple)
    description: str = ""


@dataclass(frozen=True)
class PlaceholderResolverSpec:
    """A ``$<key>`` placeholder: ``resolve(value, read)`` returns the value that replaces the placeholder.

    ``read(target)`` reads a file or URL relative to the descriptor (through the same safety checks as
    ``$text``) and returns its text.
    """

    key: str
    resolve: Callable[[Any, Callable[[str], str]], Any]
