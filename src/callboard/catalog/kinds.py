"""Entity kinds: the built-in nine, and kinds added without code through a JSON Schema for ``spec``.

A kind is known to the catalog through a :class:`KindSchema`: the kind name, the apiVersions it accepts, the
JSON Schema of the whole entity and the spec fields that become relations. Validation follows Backstage's
processors: every registered kind schema is asked in turn; a schema whose kind and apiVersion do not match
answers "not mine", one that matches but fails throws the first ajv error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from callboard.catalog.schema_check import CompiledSchema, SchemaRegistry
from callboard.catalog.schema_keywords import SchemaError
from callboard.core.relations import BUILTIN_RELATION_FIELDS, REVERSE, RelationField

BUILTIN_PROCESSOR = "BuiltinKindsEntityProcessor"
SCAFFOLDER_PROCESSOR = "ScaffolderEntitiesProcessor"
CUSTOM_PROCESSOR = "KindSchemaProcessor"

_BUILTIN_FILES = (
    # Backstage's BuiltinKindsEntityProcessor asks its validators in this order.
    ("API", "API.v1alpha1"),
    ("Component", "Component.v1alpha1"),
    ("Resource", "Resource.v1alpha1"),
    ("Group", "Group.v1alpha1"),
    ("Location", "Location.v1alpha1"),
    ("User", "User.v1alpha1"),
    ("System", "System.v1alpha1"),
    ("Domain", "Domain.v1alpha1"),
)


class KindSchemaError(ValueError):
    """A kind schema that cannot be used: the message names the kind and what is wrong."""


@dataclass(frozen=True)
class KindSchema:
    """How the catalog recognises and validates one kind (and the relations its spec produces)."""

    kind: str
    api_versions: tuple[str, ...]
    schema: Mapping[str, Any]
    processor: str = CUSTOM_PROCESSOR
    relation_fields: tuple[RelationField, ...] = ()
    description: str = ""
    origin: str = "built-in"

    @classmethod
    def from_spec_schema(
        cls,
        kind: str,
        api_versions: Sequence[str],
        spec_schema: Mapping[str, Any] | None,
        *,
        relations: Iterable[Mapping[str, Any]] = (),
        description: str = "",
        origin: str,
    ) -> KindSchema:
        """A kind added by configuration or a plugin: its ``spec`` schema, wrapped as Backstage wraps kinds."""
        if not kind or not isinstance(kind, str):
            raise KindSchemaError(f"{origin}: a kind schema needs a 'kind' name")
        if not api_versions:
            raise KindSchemaError(f"{origin}: kind {kind} needs at least one entry in 'apiVersions'")
        spec = dict(spec_schema) if spec_schema is not None else {"type": "object"}
        spec.setdefault("type", "object")
        schema = {
            "$id": f"{kind}.custom",
            "allOf": [
                {"$ref": "Entity"},
                {
                    "type": "object",
                    "required": ["spec"],
                    "properties": {
                        "apiVersion": {"enum": list(api_versions)},
                        "kind": {"enum": [kind]},
                        "spec": spec,
                    },
                },
            ],
        }
        fields = tuple(_relation_field(kind, item, origin) for item in relations)
        created = cls(kind, tuple(api_versions), schema, CUSTOM_PROCESSOR, fields, description, origin)
        created.compiled()  # fail at start-up, not on the first entity, when the schema is broken
        return created

    def matches(self, entity: Mapping[str, Any]) -> bool:
        return entity.get("kind") == self.kind and entity.get("apiVersion") in self.api_versions

    def compiled(self) -> CompiledSchema:
        """The whole schema, compiled on first use (errors are reported from it, in ajv's order)."""
        compiled: CompiledSchema | None = self.__dict__.get("_compiled")
        if compiled is None:
            try:
                compiled = CompiledSchema(self.schema, base_registry())
                rest = _beyond_entity(self.schema)
                fast = CompiledSchema(rest, base_registry()) if rest is not None else compiled
            except (KeyError, TypeError, ValueError) as error:
                message = f"{self.origin}: the schema of kind {self.kind} cannot be used: {error}"
                raise KindSchemaError(message) from error
            self.__dict__["_compiled"] = compiled
            self.__dict__["_fast"] = fast
        return compiled

    def _fast_check(self) -> CompiledSchema:
        fast: CompiledSchema | None = self.__dict__.get("_fast")
        if fast is None:
            self.compiled()
            fast = self.__dict__["_fast"]
        return fast

    def check(self, entity: Mapping[str, Any]) -> bool | SchemaError:
        """True when valid, False when this schema does not claim the entity, else the first ajv error.

        Like Backstage, a mismatch of only ``kind`` or ``apiVersion`` means "not mine", not "invalid".
        """
        # Called after the entity schema passed, so kind and apiVersion are non-empty strings: a mismatch can
        # only be an enum error there, which Backstage treats as "not mine".
        if not self.matches(entity):
            return False
        if self._fast_check().is_valid(entity):
            return True
        errors = self.compiled().errors(entity)
        if not errors:
            return True
        soft = [error for error in errors if error.path in (("kind",), ("apiVersion",))]
        if soft and all(error.keyword == "enum" for error in soft):
            return False
        return errors[0]

    def __hash__(self) -> int:
        return hash((self.kind, self.api_versions, self.processor, self.origin))


def _beyond_entity(schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """For Backstage's kind-schema shape ``allOf: [{$ref: Entity}, rest]``, the ``rest``.

    Entities reach kind schemas only after the entity schema passed, so the fast path checks just the rest.
    """
    branches = schema.get("allOf")
    if (
        isinstance(branches, list)
        and len(branches) == 2
        and branches[0] == {"$ref": "Entity"}
        and set(schema) - {"$id", "$schema", "description", "examples"} == {"allOf"}
    ):
        rest: Mapping[str, Any] = branches[1]
        return rest
    return None


def _relation_field(kind: str, item: Mapping[str, Any], origin: str) -> RelationField:
    try:
        relation = str(item["type"])
        reverse = str(item.get("reverse") or REVERSE.get(relation) or "")
        spec_field = str(item["field"]).removeprefix("spec.")
    except KeyError as error:
        raise KindSchemaError(f"{origin}: a relation of kind {kind} needs {error.args[0]!r}") from error
    if not reverse:
        raise KindSchemaError(f"{origin}: relation {relation!r} of kind {kind} is not built in; give its 'reverse'")
    return RelationField(kind, None, spec_field, item.get("defaultKind"), relation, reverse)


def load_schema(name: str) -> dict[str, Any]:
    """One of the built-in JSON Schemas (``EntityMeta``, ``Component.v1alpha1``, ...), as Backstage ships it."""
    return _load(name)


def _load(name: str) -> dict[str, Any]:
    text = resources.files("callboard.catalog").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def base_registry() -> SchemaRegistry:
    """The shared schemas every kind schema may ``$ref``: Entity, EntityEnvelope, EntityMeta, common."""
    return SchemaRegistry(_load(name) for name in ("Entity", "EntityEnvelope", "EntityMeta", "common"))


@cache
def entity_schema() -> CompiledSchema:
    return CompiledSchema(_load("Entity"), base_registry())


@cache
def envelope_schema() -> CompiledSchema:
    return CompiledSchema(_load("EntityEnvelope"), base_registry())


def builtin_kinds() -> list[KindSchema]:
    """The nine kinds Backstage knows out of the box, in the order its processors ask them."""
    kinds = [
        KindSchema(
            kind,
            tuple(_load(file)["allOf"][1]["properties"]["apiVersion"]["enum"]),
            _load(file),
            BUILTIN_PROCESSOR,
            tuple(f for f in BUILTIN_RELATION_FIELDS if f.kind == kind),
        )
        for kind, file in _BUILTIN_FILES
    ]
    template = _load("Template.v1beta3")
    kinds.append(
        KindSchema(
            "Template",
            tuple(template["allOf"][1]["properties"]["apiVersion"]["enum"]),
            template,
            SCAFFOLDER_PROCESSOR,
            tuple(f for f in BUILTIN_RELATION_FIELDS if f.kind == "Template"),
        )
    )
    return kinds


@dataclass
class KindRegistry:
    """The kinds the catalog accepts, grouped by the processor that owns them, in asking order."""

    kinds: list[KindSchema] = field(default_factory=list)
    _processors: list[tuple[str, list[KindSchema]]] | None = field(default=None, init=False, repr=False)
    _fields: dict[tuple[Any, Any], list[tuple[str, RelationField]]] = field(
        default_factory=dict, init=False, repr=False
    )

    def add(self, kind: KindSchema) -> None:
        self.kinds.append(kind)
        self._processors = None
        self._fields.clear()
        self.__dict__.pop("_by_kind", None)

    def candidates(self, kind: Any) -> list[tuple[str, KindSchema]]:
        """The kind schemas that could claim an entity of ``kind``, in asking order, with their processors.

        Schemas of other kinds answer "not mine" without looking further, so only these need asking.
        """
        by_kind = self.__dict__.get("_by_kind")
        if by_kind is None:
            by_kind = {}
            for processor, kinds in self.processors():
                for schema in kinds:
                    by_kind.setdefault(schema.kind, []).append((processor, schema))
            self.__dict__["_by_kind"] = by_kind
        found: list[tuple[str, KindSchema]] = by_kind.get(kind, [])
        return found

    def processors(self) -> list[tuple[str, list[KindSchema]]]:
        if self._processors is None:
            order: dict[str, list[KindSchema]] = {}
            for kind in self.kinds:
                order.setdefault(kind.processor, []).append(kind)
            self._processors = list(order.items())
        return self._processors

    def relation_fields(self, entity: Mapping[str, Any]) -> list[tuple[str, RelationField]]:
        """The relation-producing fields that apply to this entity, each with the processor that emits it."""
        key = (entity.get("kind"), entity.get("apiVersion"))
        cached = self._fields.get(key)
        if cached is None:
            cached = self._fields[key] = self._relation_fields(entity)
        return cached

    def _relation_fields(self, entity: Mapping[str, Any]) -> list[tuple[str, RelationField]]:
        found = []
        for kind in self.kinds:
            for relation_field in kind.relation_fields:
                if relation_field.kind != entity.get("kind"):
                    continue
                if relation_field.api_version and relation_field.api_version != entity.get("apiVersion"):
                    continue
                if kind.processor == CUSTOM_PROCESSOR and not kind.matches(entity):
                    continue
                found.append((kind.processor, relation_field))
        return _dedupe(found)


def _dedupe(items: list[tuple[str, RelationField]]) -> list[tuple[str, RelationField]]:
    seen: set[tuple[str, str, str]] = set()
    result = []
    for processor, item in items:
        key = (processor, item.field, item.relation)
        if key not in seen:
            seen.add(key)
            result.append((processor, item))
    return result
