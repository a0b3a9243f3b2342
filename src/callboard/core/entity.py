"""Entities and entity references, as Backstage defines them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: An entity is plain JSON data: what a descriptor file holds and what the API returns.
Entity = dict[str, Any]

DEFAULT_NAMESPACE = "default"

ANNOTATION_LOCATION = "backstage.io/managed-by-location"
ANNOTATION_ORIGIN_LOCATION = "backstage.io/managed-by-origin-location"
ANNOTATION_ORPHAN = "backstage.io/orphan"
#: Set by a provider whose source for the entity is gone (discovery: the repository vanished); makes it an orphan.
ANNOTATION_ORPHAN_REASON = "callboard.dev/orphan-reason"
ANNOTATION_SOURCE_LOCATION = "backstage.io/source-location"
ANNOTATION_VIEW_URL = "backstage.io/view-url"
ANNOTATION_EDIT_URL = "backstage.io/edit-url"
ANNOTATION_TECHDOCS_REF = "backstage.io/techdocs-ref"


class EntityRefError(ValueError):
    """A string or object that cannot be read as an entity reference.

    ``js_name`` is the JavaScript error class Backstage throws for the same problem, for identical messages.
    """

    def __init__(self, message: str, js_name: str = "Error") -> None:
        super().__init__(message)
        self.message = message
        self.js_name = js_name


@dataclass(frozen=True, slots=True)
class EntityRef:
    """A reference to an entity: kind, namespace and name, keeping the casing they were written with.

    References compare case-insensitively through :attr:`key`; use :meth:`__str__` for the
    canonical lower-case form that relations, the API and the database use.
    """

    kind: str
    namespace: str
    name: str

    @classmethod
    def parse(
        cls,
        ref: str | dict[str, Any],
        *,
        default_kind: str | None = None,
        default_namespace: str | None = None,
    ) -> EntityRef:
        """Read ``[<kind>:][<namespace>/]<name>`` or ``{kind, namespace?, name}`` as Backstage does.

        Raises :class:`EntityRefError` with Backstage's message when a part is missing.
        """
        if not ref:
            raise EntityRefError("Entity reference must not be empty")
        namespace_fallback = default_namespace or DEFAULT_NAMESPACE
        kind: Any
        namespace: Any
        name: Any
        if isinstance(ref, str):
            kind_part, namespace_part, name = _split_ref_string(ref)
            kind = kind_part if kind_part is not None else default_kind
            namespace = namespace_part if namespace_part is not None else namespace_fallback
        else:
            kind = ref.get("kind") if ref.get("kind") is not None else default_kind
            namespace = ref.get("namespace") if ref.get("namespace") is not None else namespace_fallback
            name = ref.get("name")
        if not kind:
            raise EntityRefError(
                f"Entity reference {_js_json(ref)} had missing or empty kind "
                '(e.g. did not start with "component:" or similar)'
            )
        if not namespace:
            raise EntityRefError(f"Entity reference {_js_json(ref)} had missing or empty namespace")
        if not name:
            raise EntityRefError(f"Entity reference {_js_json(ref)} had missing or empty name")
        return cls(str(kind), str(namespace), str(name))

    @classmethod
    def of(cls, entity: Entity) -> EntityRef:
        """The reference of an entity, with the default namespace filled in."""
        metadata = entity.get("metadata") or {}
        return cls(str(entity["kind"]), str(metadata.get("namespace") or DEFAULT_NAMESPACE), str(metadata["name"]))

    @property
    def key(self) -> str:
        """The canonical, lower-case ``kind:namespace/name`` used for comparison and storage."""
        return f"{self.kind.lower()}:{self.namespace.lower()}/{self.name.lower()}"

    def __str__(self) -> str:
        return self.key

    def display(self, *, default_kind: str | None = None) -> str:
        """The shortest readable form: kind and namespace omitted when they are the defaults."""
        text = self.name if self.namespace.lower() == DEFAULT_NAMESPACE else f"{self.namespace}/{self.name}"
        if default_kind is not None and self.kind.lower() == default_kind.lower():
            return text
        return f"{self.kind}:{text}"


def kind_plural(kind: str, count: int, *, heading: bool = False) -> str:
    """The kind as people write it beside a count: "component", "components", "APIs"; ``heading``: "Components"."""
    word = "API" if kind.lower() == "api" else kind.lower()
    shown = word if count == 1 else f"{word}s"
    return shown[:1].upper() + shown[1:] if heading else shown


def ref_key(ref: str | dict[str, Any], default_kind: str | None, default_namespace: str) -> str:
    """The canonical ``kind:namespace/name`` of a reference, as :meth:`EntityRef.parse` would give it.

    A fast path for the common, well-formed string; anything unusual goes through the full parser, which
    raises Backstage's errors.
    """
    if isinstance(ref, str) and ref:
        colon = ref.find(":")
        slash = ref.find("/")
        if colon > 0 and (slash == -1 or colon < slash):
            rest = ref[colon + 1 :]
            if slash == -1:
                if rest:
                    return f"{ref[:colon].lower()}:{default_namespace.lower()}/{rest.lower()}"
            elif slash - colon - 1 > 0 and slash + 1 < len(ref):
                return ref.lower()
        elif colon == -1 and slash == -1 and default_kind:
            return f"{default_kind.lower()}:{default_namespace.lower()}/{ref.lower()}"
    return EntityRef.parse(ref, default_kind=default_kind, default_namespace=default_namespace).key


def stringify_entity_ref(entity: Entity) -> str:
    """``kind:namespace/name`` of an entity, lower-cased; tolerant of a missing namespace."""
    metadata = entity.get("metadata") or {}
    namespace = metadata.get("namespace")
    if namespace is None:
        namespace = DEFAULT_NAMESPACE
    return f"{str(entity.get('kind')).lower()}:{str(namespace).lower()}/{str(metadata.get('name')).lower()}"


def _split_ref_string(ref: str) -> tuple[str | None, str | None, str]:
    colon = ref.find(":")
    slash = ref.find("/")
    # A slash before the first colon means the colon belongs to the name, not to a kind prefix.
    if slash != -1 and slash < colon:
        colon = -1
    kind = None if colon == -1 else ref[:colon]
    namespace = None if slash == -1 else ref[colon + 1 : slash]
    name = ref[max(colon + 1, slash + 1) :]
    if kind == "" or namespace == "" or name == "":
        raise EntityRefError(
            f'Entity reference "{ref}" was not on the form [<kind>:][<namespace>/]<name>', js_name="TypeError"
        )
    return kind, namespace, name


def _js_json(value: object) -> str:
    """JSON text as JavaScript's ``JSON.stringify`` writes it, for messages that match Backstage's."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
