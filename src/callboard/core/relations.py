"""Relation types, their reverses, and the spec fields of the built-in kinds that produce them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

OWNED_BY = "ownedBy"
OWNER_OF = "ownerOf"
PART_OF = "partOf"
HAS_PART = "hasPart"
PROVIDES_API = "providesApi"
API_PROVIDED_BY = "apiProvidedBy"
CONSUMES_API = "consumesApi"
API_CONSUMED_BY = "apiConsumedBy"
DEPENDS_ON = "dependsOn"
DEPENDENCY_OF = "dependencyOf"
MEMBER_OF = "memberOf"
HAS_MEMBER = "hasMember"
CHILD_OF = "childOf"
PARENT_OF = "parentOf"

#: Every built-in relation type and the type of the edge the catalog adds in the other direction.
REVERSE: dict[str, str] = {
    OWNED_BY: OWNER_OF,
    OWNER_OF: OWNED_BY,
    PART_OF: HAS_PART,
    HAS_PART: PART_OF,
    PROVIDES_API: API_PROVIDED_BY,
    API_PROVIDED_BY: PROVIDES_API,
    CONSUMES_API: API_CONSUMED_BY,
    API_CONSUMED_BY: CONSUMES_API,
    DEPENDS_ON: DEPENDENCY_OF,
    DEPENDENCY_OF: DEPENDS_ON,
    MEMBER_OF: HAS_MEMBER,
    HAS_MEMBER: MEMBER_OF,
    CHILD_OF: PARENT_OF,
    PARENT_OF: CHILD_OF,
}


@dataclass(frozen=True, slots=True)
class RelationField:
    """A spec field whose value is one entity reference, or a list of them, that becomes relations.

    ``default_kind`` is None where Backstage demands the kind be written (``dependsOn``).
    The default namespace is always the referring entity's own.
    """

    kind: str
    api_version: str | None
    field: str
    default_kind: str | None
    relation: str
    reverse: str


def _fields(kind: str, *rows: tuple[str, str | None, str], api_version: str | None = None) -> list[RelationField]:
    return [RelationField(kind, api_version, field, default, rel, REVERSE[rel]) for field, default, rel in rows]


#: In the order Backstage's BuiltinKindsEntityProcessor emits them (which decides the first failing reference).
BUILTIN_RELATION_FIELDS: tuple[RelationField, ...] = (
    *_fields(
        "Component",
        ("owner", "Group", OWNED_BY),
        ("subcomponentOf", "Component", PART_OF),
        ("providesApis", "API", PROVIDES_API),
        ("consumesApis", "API", CONSUMES_API),
        ("dependsOn", None, DEPENDS_ON),
        ("dependencyOf", None, DEPENDENCY_OF),
        ("system", "System", PART_OF),
    ),
    *_fields("API", ("owner", "Group", OWNED_BY), ("system", "System", PART_OF)),
    *_fields(
        "Resource",
        ("owner", "Group", OWNED_BY),
        ("dependsOn", None, DEPENDS_ON),
        ("dependencyOf", None, DEPENDENCY_OF),
        ("system", "System", PART_OF),
    ),
    *_fields("User", ("memberOf", "Group", MEMBER_OF)),
    *_fields(
        "Group",
        ("parent", "Group", CHILD_OF),
        ("children", "Group", PARENT_OF),
        ("members", "User", HAS_MEMBER),
    ),
    *_fields("System", ("owner", "Group", OWNED_BY), ("domain", "Domain", PART_OF)),
    *_fields("Domain", ("owner", "Group", OWNED_BY), ("subdomainOf", "Domain", PART_OF)),
    *_fields("Template", ("owner", "Group", OWNED_BY), api_version="scaffolder.backstage.io/v1beta3"),
)


class Relation(NamedTuple):
    """A directed edge between two entities, both given as canonical lower-case refs."""

    source: str
    type: str
    target: str


def relation_targets(entity: Mapping[str, Any], relation_type: str, kind: str | None = None) -> list[str]:
    """Target refs of the entity's relations of one type (optionally of one kind), in stored order."""
    found = []
    for relation in entity.get("relations") or []:
        ref = str(relation.get("targetRef", "")).lower()
        if relation.get("type") == relation_type and (kind is None or ref.startswith(kind + ":")):
            found.append(ref)
    return found
