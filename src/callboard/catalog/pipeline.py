"""Processing one entity in Backstage's fixed stages, with errors as data.

The stages and their failure messages follow Backstage's DefaultCatalogProcessingOrchestrator:

1. envelope: apiVersion, kind and metadata.name present ("Entity envelope failed validation before processing");
2. pre-process: placeholders, then the built-in kinds processor sorts reference lists;
3. policies: schema, default namespace, no foreign root fields, field formats ("Policy check failed for <ref>");
4. validate: every kind schema is asked; one must claim the entity ("No processor recognized the entity ...");
5. post-process: spec references become relations in both directions; a reference that cannot be read fails.

Reading Location targets belongs to the engine, which calls this pipeline and then follows the targets.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from callboard.catalog.field_format import DEFAULT_FIELD_RULES, FieldFormatRules, check_field_formats
from callboard.catalog.javascript import js_keys
from callboard.catalog.kinds import CUSTOM_PROCESSOR, KindRegistry, entity_schema, envelope_schema
from callboard.catalog.placeholders import PlaceholderError, PlaceholderResolution
from callboard.catalog.schema_keywords import SchemaError
from callboard.core.entity import DEFAULT_NAMESPACE, Entity, EntityRefError, ref_key, stringify_entity_ref
from callboard.core.errors import describe_error
from callboard.core.relations import Relation

FieldPath = tuple[str | int, ...]

_KNOWN_ROOT_FIELDS = frozenset(("apiVersion", "kind", "metadata", "spec"))
_SORTED_FIELDS = (
    "providesApis",
    "consumesApis",
    "dependsOn",
    "dependencyOf",
    "memberOf",
    "children",
    "members",
)


@dataclass(frozen=True, slots=True)
class ProcessingError:
    """Why an entity was rejected: Backstage's error name and message, the field it is about, and a fix."""

    name: str
    message: str
    path: FieldPath = ()
    hint: str = ""


@dataclass(slots=True)
class ProcessingResult:
    """The processed entity and its relations when ``ok``; otherwise the errors that stopped it.

    ``outgoing`` holds the relations the entity's own fields declare, as (type, target, reverse type);
    :attr:`relations` adds the reverse edge of each, as Backstage's processors emit both.
    """

    entity: Entity | None
    outgoing: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[ProcessingError] = field(default_factory=list)
    source: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def relations(self) -> list[Relation]:
        both = []
        for relation_type, target, reverse in self.outgoing:
            both.append(Relation(self.source, relation_type, target))
            both.append(Relation(target, reverse, self.source))
        return both


class EntityPipeline:
    """Runs the stages for one entity; built once with the kinds, rules and resolvers in force."""

    def __init__(
        self,
        kinds: KindRegistry,
        *,
        field_rules: FieldFormatRules | None = None,
        placeholders: PlaceholderResolution | None = None,
    ) -> None:
        self._kinds = kinds
        self._rules = (
            field_rules if field_rules is not None and field_rules != DEFAULT_FIELD_RULES else (DEFAULT_FIELD_RULES)
        )
        self._placeholders = placeholders
        self._envelope = envelope_schema()
        self._entity = entity_schema()

    def process(self, unprocessed: Entity, *, base: str = "") -> ProcessingResult:
        """Process ``unprocessed`` (read from ``base``, used for relative placeholders). Never raises on data."""
        unstorable = unstorable_text(unprocessed)
        if unstorable is not None:
            path, problem = unstorable
            where = ".".join(str(part) for part in path) or "the entity"
            return _failed(
                "InputError",
                f"Entity text cannot be stored: {where} {problem}",
                path,
                "Remove the character, or write it out in words; JSON and the catalog's databases cannot hold it.",
            )
        if not self._envelope.is_valid(unprocessed):
            error = self._envelope.errors(unprocessed)[0]
            return _failed(
                "InputError",
                f"Entity envelope failed validation before processing; caused by TypeError: {error.text()}",
                error.path,
                _schema_hint(error),
            )
        # The ref in messages is the one Backstage computes before pre-processing.
        ref = stringify_entity_ref(unprocessed)

        entity = unprocessed
        if self._placeholders is not None:
            try:
                entity = self._placeholders.apply(entity, base)
            except PlaceholderError as error:
                return _failed(
                    "InputError",
                    "Processor PlaceholderProcessor threw an error while preprocessing; "
                    f"caused by Error: {error.message}",
                    error.path,
                    "Fix the placeholder's target path, or inline the content.",
                )
        entity = _sort_reference_lists(entity)

        policy_error = self._enforce_policies(entity)
        if policy_error is not None:
            message, path, hint = policy_error
            return _failed("InputError", f"Policy check failed for {ref}; caused by Error: {message}", path, hint)
        if "namespace" not in entity["metadata"]:
            # Backstage's DefaultNamespaceEntityPolicy puts the namespace first.
            entity = {**entity, "metadata": {"namespace": DEFAULT_NAMESPACE, **entity["metadata"]}}

        kind_error = self._validate_kind(entity, ref)
        if kind_error is not None:
            return ProcessingResult(None, errors=[kind_error])

        outgoing, relation_error = self._emit_relations(entity)
        if relation_error is not None:
            return ProcessingResult(None, errors=[relation_error])
        metadata = entity["metadata"]
        source = f"{entity['kind'].lower()}:{metadata['namespace'].lower()}/{metadata['name'].lower()}"
        return ProcessingResult(entity, outgoing, source=source)

    def _enforce_policies(self, entity: Entity) -> tuple[str, FieldPath, str] | None:
        # SchemaValidEntityPolicy: ajv without allErrors, so its message carries no params.
        if not self._entity.is_valid(entity):
            error = self._entity.errors(entity)[0]
            return f"Malformed envelope, {error.text(with_params=False)}", error.path, _schema_hint(error)
        # DefaultNamespaceEntityPolicy only fills a value in; NoForeignRootFieldsEntityPolicy:
        for key in [] if _KNOWN_ROOT_FIELDS.issuperset(entity) else js_keys(entity):
            if key not in _KNOWN_ROOT_FIELDS:
                hint = (
                    "Remove it: relations and status are computed by the catalog."
                    if key in ("relations", "status")
                    else f"Remove '{key}', or move it under metadata or spec."
                )
                return f"Unknown field {key}", (key,), hint
        violation = check_field_formats(entity, self._rules)
        if violation is not None:
            return violation.message, violation.path, _format_hint(violation.path)
        return None

    def _validate_kind(self, entity: Entity, ref: str) -> ProcessingError | None:
        recognised = False
        claimed: list[str] = []
        for processor, kind in self._kinds.candidates(entity.get("kind")):
            # Backstage asks each processor's validators until one says yes, then the next processor. Every
            # kind schema added by configuration or a plugin must hold, so those are all asked.
            if processor in claimed and processor != CUSTOM_PROCESSOR:
                continue
            verdict = kind.check(entity)
            if verdict is True:
                recognised = True
                claimed.append(processor)
                continue
            if isinstance(verdict, SchemaError):
                return ProcessingError(
                    "InputError",
                    f"Processor {processor} threw an error while validating the entity {ref}; "
                    f"caused by TypeError: {verdict.text()}",
                    verdict.path,
                    _schema_hint(verdict),
                )
        if recognised:
            return None
        return ProcessingError(
            "InputError",
            f"No processor recognized the entity {ref} as valid, possibly caused by a foreign kind or apiVersion",
            ("kind",),
            f"Check kind and apiVersion: built-in kinds are {', '.join(sorted({k.kind for k in self._kinds.kinds}))}. "
            "To add a kind, register a kind schema under catalog.kinds in app-config.",
        )

    def _emit_relations(self, entity: Entity) -> tuple[list[tuple[str, str, str]], ProcessingError | None]:
        namespace = entity["metadata"]["namespace"]
        namespace_key = namespace.lower()
        outgoing: list[tuple[str, str, str]] = []
        spec = entity.get("spec") or {}
        for processor, relation_field in self._kinds.relation_fields(entity):
            targets = spec.get(relation_field.field)
            if not targets:
                continue
            default_kind = relation_field.default_kind
            for index, target in enumerate(targets if type(targets) is list else (targets,)):
                if default_kind and type(target) is str and ":" not in target and "/" not in target:
                    # The common short form: a bare name with the field's default kind and our namespace.
                    target_ref = f"{default_kind.lower()}:{namespace_key}/{target.lower()}"
                else:
                    try:
                        target_ref = ref_key(target, default_kind, namespace)
                    except EntityRefError as error:
                        path: FieldPath = ("spec", relation_field.field)
                        if type(targets) is list:
                            path = (*path, index)
                        return [], ProcessingError(
                            "InputError",
                            f"Processor {processor} threw an error while postprocessing; "
                            f"caused by {describe_error(error)}",
                            path,
                            "Write the reference as kind:namespace/name, e.g. resource:default/orders-db.",
                        )
                outgoing.append((relation_field.relation, target_ref, relation_field.reverse))
        return outgoing, None


def unstorable_text(value: Any, path: FieldPath = ()) -> tuple[FieldPath, str] | None:
    """The first key or string holding what no database can store: NUL (U+0000) or a lone UTF-16 surrogate.

    Backstage's validators let both through (JavaScript strings can hold them); PostgreSQL then refuses the
    row, so Callboard refuses the entity with the field named instead.
    """
    if isinstance(value, str):
        return _text_problem(value, path)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _text_problem(key, (*path, key)) if isinstance(key, str) else None
            found = problem or unstorable_text(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_text(item, (*path, index))
            if found is not None:
                return found
    return None


def _text_problem(text: str, path: FieldPath) -> tuple[FieldPath, str] | None:
    if text.isascii():
        return (path, "holds a NUL character (U+0000)") if "\x00" in text else None
    if "\x00" in text:
        return path, "holds a NUL character (U+0000)"
    for character in text:
        if "\ud800" <= character <= "\udfff":
            return path, f"holds a lone UTF-16 surrogate (U+{ord(character):04X}), which is not valid Unicode text"
    return None


def _failed(name: str, message: str, path: FieldPath, hint: str) -> ProcessingResult:
    return ProcessingResult(None, errors=[ProcessingError(name, message, path, hint)])


def _sort_reference_lists(entity: Entity) -> Entity:
    spec = entity.get("spec")
    if not isinstance(spec, dict):
        return entity
    unsorted = []
    for name in _SORTED_FIELDS:
        value = spec.get(name)
        # A list of one is sorted already; most reference lists are that short.
        if type(value) is list and len(value) > 1 and all(type(i) is str for i in value) and not _is_sorted(value):
            unsorted.append(name)
    if not unsorted:
        return entity
    new_spec = copy.copy(spec)
    for name in unsorted:
        new_spec[name] = sorted(spec[name], key=_utf16_key)
    return {**entity, "spec": new_spec}


def _is_sorted(items: list[str]) -> bool:
    if all(item.isascii() for item in items):
        return all(a <= b for a, b in pairwise(items))
    return items == sorted(items, key=_utf16_key)


def _utf16_key(text: str) -> bytes:
    # JavaScript sorts strings by UTF-16 code units, which differs from code points above the BMP.
    return text.encode("utf-16-be")


def _schema_hint(error: SchemaError) -> str:
    field_name = ".".join(str(part) for part in error.path) or "the document"
    params = dict(error.params)
    if error.keyword == "required":
        missing = ".".join(str(part) for part in (*error.path, params["missingProperty"]))
        return f"Add {missing}."
    if error.keyword == "type":
        wanted = params["type"]
        return f"Make {field_name} {'an' if str(wanted)[:1] in 'aeiou' else 'a'} {wanted}."
    if error.keyword == "enum":
        return f"Use one of: {', '.join(map(str, params['allowedValues']))}."
    if error.keyword == "additionalProperties":
        return f"Remove {params['additionalProperty']!r} from {field_name}."
    if error.keyword == "minLength":
        return f"Give {field_name} a non-empty value."
    return f"Fix {field_name}."


def _format_hint(path: FieldPath) -> str:
    where = ".".join(str(part) for part in path)
    if path[:2] == ("metadata", "name"):
        return "Names are 1-63 letters, digits and -_. separators, starting and ending with a letter or digit."
    if path[:2] == ("metadata", "namespace"):
        return "Namespaces are lower-case letters and digits separated by dashes."
    if path[:2] == ("metadata", "tags"):
        return "Tags are lower-case letters, digits and :+# separated by single dashes (no _ or .)."
    return f"Fix {where}."
