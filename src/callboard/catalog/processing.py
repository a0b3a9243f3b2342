"""Processing one catalog item: the entity pipeline, then, for Location entities, reading their targets.

The result is data (Backstage's "processors emit"): the processed entity, its relations, the child entities
read from locations (each with the location key that owns it), errors, and a cache for the next round. The
engine writes results; nothing here touches the database.

Each target of a Location stands alone. A target that cannot be read, or holds a broken document, is an
error on the Location (shown with the file and document) and keeps the entities it gave last time; the
other targets' entities are ingested all the same. A target whose content is unchanged is not parsed
again, and its errors from last time are reported again, so they stay until the file changes.
"""

from __future__ import annotations

import glob
import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from callboard.catalog.children import ChildEntity, ChildList
from callboard.catalog.descriptors import DocumentProblem, parse_documents
from callboard.catalog.kinds import KindRegistry, envelope_schema
from callboard.catalog.pipeline import EntityPipeline, ProcessingError
from callboard.catalog.placeholders import PlaceholderResolution, ReadError, has_dollar_key
from callboard.catalog.plugin_stages import ProcessorFailed, postprocess, preprocess
from callboard.catalog.reading import LocationReader, location_ref, parse_location_ref, resolve_target
from callboard.catalog.rules import CatalogRules
from callboard.catalog.stitching import canonical_bytes, load_json
from callboard.core.entity import (
    ANNOTATION_EDIT_URL,
    ANNOTATION_LOCATION,
    ANNOTATION_ORIGIN_LOCATION,
    ANNOTATION_SOURCE_LOCATION,
    ANNOTATION_VIEW_URL,
    Entity,
    stringify_entity_ref,
)
from callboard.core.limits import DescriptorLimits
from callboard.plugins.backend import CatalogProcessor

STATUS_TYPE = "backstage.io/catalog-processing"


@dataclass(slots=True)
class Outcome:
    """What processing one item produced. ``unchanged`` means its location content had not changed."""

    entity_ref: str
    ok: bool
    processed: Entity | None = None
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[ProcessingError] = field(default_factory=list)
    notices: list[ProcessingError] = field(default_factory=list)
    children: ChildList | None = None
    #: Location keys (``file:/path``) of targets not read afresh this time: their entities from last time stay.
    keep_keys: set[str] = field(default_factory=set)
    cache: dict[str, Any] = field(default_factory=dict)
    unchanged: bool = False


def content_hash(value: Any) -> str:
    """A stable hash of JSON data, independent of key order."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


class ItemProcessor:
    """Processes catalog items with the kinds, rules and reader in force."""

    def __init__(
        self,
        kinds: KindRegistry,
        reader: LocationReader,
        rules: CatalogRules,
        limits: DescriptorLimits | None = None,
        processors: Sequence[CatalogProcessor] = (),
        *,
        spill_dir: Path | None = None,
    ) -> None:
        self._kinds = kinds
        self._processors = tuple(processors)
        self._reader = reader
        self._rules = rules
        self._limits = limits or DescriptorLimits()
        self._spill_dir = spill_dir
        self._envelope = envelope_schema()
        # The engine thread and request threads (validate-entity, dry runs) process at the same time; the
        # confinement root and placeholder warnings are per entity, so each thread gets its own pipeline.
        self._local = threading.local()
        # Whatever changes what a file yields: then unchanged files must be read again.
        self.config_hash = content_hash(
            [
                [kind.schema for kind in kinds.kinds],
                repr(rules),
                repr(self._limits),
                _CACHE_FORMAT,
                [processor.id for processor in self._processors],
            ]
        )

    def envelope_problem(self, entity: Any) -> str | None:
        """Why ``entity`` cannot be stored as an entity at all (no ref can be made of it); None when it can."""
        if not isinstance(entity, dict):
            return f"expected an object, got {type(entity).__name__}"
        if self._envelope.is_valid(entity):
            return None
        return self._envelope.errors(entity)[0].text()

    def process(
        self,
        entity_ref: str,
        unprocessed: Entity | str,
        cache: Mapping[str, Any],
        input_hash: str | None = None,
        *,
        read_targets: bool = True,
    ) -> Outcome:
        """Process one item; ``input_hash`` (the unprocessed entity's hash) lets unchanged input be skipped.

        An entity whose input, kinds and rules are as when it was last processed, and that reads nothing
        from outside (no placeholders, not a Location), gives the same result again: it is not processed.
        """
        if (
            input_hash is not None
            and cache.get("input") == input_hash
            and cache.get("config") == self.config_hash
            and not cache.get("reads")
        ):
            return Outcome(entity_ref, True, None, cache=dict(cache), unchanged=True)
        if isinstance(unprocessed, str):
            unprocessed = load_json(unprocessed)
            assert isinstance(unprocessed, dict)
        outcome = self._process(entity_ref, unprocessed, cache, read_targets=read_targets)
        outcome.cache["input"] = input_hash
        return outcome

    def _process(
        self, entity_ref: str, unprocessed: Entity, cache: Mapping[str, Any], *, read_targets: bool = True
    ) -> Outcome:
        if cache.get("imported"):
            return self._process_imported(entity_ref, unprocessed, cache)
        # Read before validation, so any shape of metadata must be survived here; the pipeline reports it.
        location = _annotation(unprocessed, ANNOTATION_LOCATION, "")
        origin = _annotation(unprocessed, ANNOTATION_ORIGIN_LOCATION, location)
        base_type, base_target = _split(location)
        origin_type, origin_target = _split(origin)
        # Placeholders in local files may read only below the folder of the location that was registered.
        confined, pipeline = self._thread_state()
        confined.root = Path(origin_target).parent if origin_type == "file" else None
        try:
            unprocessed = preprocess(self._processors, unprocessed)
        except ProcessorFailed as failed:
            outcome = Outcome(entity_ref, False, None, errors=[failed.error])
            outcome.cache = {"config": self.config_hash}
            return outcome
        result = pipeline.process(unprocessed, base=base_target)
        outcome = Outcome(entity_ref, result.ok, result.entity, result.outgoing, list(result.errors))
        outcome.cache = {"config": self.config_hash}
        emitted = self._postprocess(entity_ref, result.entity, outcome) if result.ok and self._processors else None
        if result.entity is not unprocessed and has_dollar_key(unprocessed):
            outcome.cache["reads"] = True  # its content comes from other files: process it every time
        if not result.ok or result.entity is None:
            return outcome
        entity = result.entity
        if base_type == "url":
            entity = _annotate_url_location(entity, base_target)
            outcome.processed = entity
        if read_targets and entity.get("kind") == "Location" and isinstance(entity.get("spec"), dict):
            outcome.cache["reads"] = True
            self._read_location(entity, base_type, base_target, origin, cache, outcome)
        if emitted is not None:
            if outcome.children is None:
                outcome.children = ChildList(spill_dir=self._spill_dir)
            outcome.children.extend(emitted)
        return outcome

    def _postprocess(self, entity_ref: str, entity: Entity | None, outcome: Outcome) -> list[ChildEntity] | None:
        """What the plugins' processors add; the entities they emitted become children the entity owns."""
        if entity is None:
            return None
        added = postprocess(self._processors, entity, self.envelope_problem)
        outcome.relations.extend(added.relations)
        outcome.errors.extend(added.errors)
        if outcome.errors:
            outcome.ok = False
        key = f"processor:{entity_ref}"
        return [ChildEntity.of(child, key, stringify_entity_ref(child).lower()) for child in added.entities]

    def _thread_state(self) -> tuple[_ConfinedReader, EntityPipeline]:
        state: tuple[_ConfinedReader, EntityPipeline] | None = getattr(self._local, "state", None)
        if state is None:
            confined = _ConfinedReader(self._reader)
            state = (confined, EntityPipeline(self._kinds, placeholders=PlaceholderResolution(confined)))
            self._local.state = state
        return state

    def _process_imported(self, entity_ref: str, unprocessed: Entity, cache: Mapping[str, Any]) -> Outcome:
        """An imported entity is validated and related like any other, but its Location targets are not read:
        the import file already holds what they produced."""
        result = self._thread_state()[1].process(unprocessed)
        outcome = Outcome(entity_ref, result.ok, result.entity, result.outgoing, list(result.errors))
        outcome.cache = {"config": self.config_hash, "imported": True}
        return outcome

    def _read_location(
        self,
        entity: Entity,
        base_type: str,
        base_target: str,
        origin: str,
        cache: Mapping[str, Any],
        outcome: Outcome,
    ) -> None:
        spec = entity["spec"]
        location_type = str(spec.get("type") or base_type or "url")
        optional = spec.get("presence", "required") == "optional"
        raw_targets: list[str] = []
        if spec.get("target"):
            raw_targets.append(str(spec["target"]))
        raw_targets.extend(str(target) for target in spec.get("targets") or [])
        previous: Mapping[str, Any] = cache.get("targets") or {}
        same_config = cache.get("config") == self.config_hash
        seen: dict[str, dict[str, Any]] = {}
        children = ChildList(spill_dir=self._spill_dir)
        parsed_any = False
        for raw_target in raw_targets:
            for target, problem in self._expand(location_type, raw_target, base_type, base_target, optional):
                key = location_ref(location_type, target)
                if problem is not None:
                    outcome.errors.append(problem)
                    outcome.keep_keys.add(key)
                    continue
                try:
                    content = self._reader.read_location(location_type, target)
                except ReadError as error:
                    if error.name == "NotFoundError" and optional:
                        continue
                    name = error.name if error.name != "Error" else "InputError"
                    outcome.errors.append(_target_error(name, f"Unable to read {location_type}, {error.message}"))
                    outcome.keep_keys.add(key)  # perhaps a passing failure: what it gave last time stays
                    continue
                digest = hashlib.sha256(content).hexdigest()
                last = previous.get(target)
                if same_config and isinstance(last, dict) and last.get("hash") == digest:
                    errors = [_error_from(item) for item in last.get("errors") or []]
                    outcome.errors.extend(errors)
                    outcome.keep_keys.add(key)
                    seen[target] = last
                    continue
                parsed_any = True
                found, errors = self._parse_target(content, location_type, target, origin)
                children.extend(found)
                outcome.errors.extend(errors)
                if errors:
                    outcome.keep_keys.add(key)  # the broken documents keep their last good entities
                seen[target] = {"hash": digest, "errors": [_error_to(error) for error in errors]}
        outcome.cache["targets"] = seen
        if not parsed_any and set(seen) == set(previous) and len(seen) == len(outcome.keep_keys):
            # Every target read as last time: the children from last time stand, unparsed.
            outcome.unchanged = True
            children.close()
            return
        outcome.children = children

    def _expand(
        self, location_type: str, raw_target: str, base_type: str, base_target: str, optional: bool
    ) -> list[tuple[str, ProcessingError | None]]:
        """The targets one ``target`` names: itself, or for a file location with a glob, every file it matches
        (as Backstage's file reader does), each then read and reported on its own."""
        if location_type == "file" and raw_target.endswith("/"):
            return [
                (
                    raw_target,
                    _target_error(
                        "InputError",
                        f"LocationEntityProcessor cannot handle file type location with target {raw_target} "
                        "that ends with a path separator; point the target at a descriptor file, not a folder",
                    ),
                )
            ]
        target = resolve_target(location_type, raw_target, base_type, base_target)
        if location_type != "file" or not glob.has_magic(target):
            return [(target, None)]
        # glob.glob, not Path.glob: the pattern is absolute, as Backstage's file reader takes it.
        matches = sorted(path for path in glob.glob(target, recursive=True) if Path(path).is_file())  # noqa: PTH207
        if not matches and not optional:
            return [(target, _target_error("NotFoundError", f"Unable to read file, {target} does not exist"))]
        return [(match, None) for match in matches]

    def _parse_target(
        self, content: bytes, location_type: str, target: str, origin: str
    ) -> tuple[list[ChildEntity], list[ProcessingError]]:
        """The entities of one target file, and the problems of those of its documents that are not entities."""
        key = location_ref(location_type, target)
        limit = self._limits.file_bytes
        if len(content) > limit:
            return [], [
                _target_error(
                    "InputError",
                    f"{key} is {len(content)} bytes; files may be at most {limit} (catalog.limits.fileBytes). "
                    "Split it into several files",
                )
            ]
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as error:
            return [], [
                _target_error(
                    "InputError",
                    f"{key} is not UTF-8 text (byte {error.start} cannot be decoded); save it as UTF-8",
                )
            ]
        children: list[ChildEntity] = []
        errors: list[ProcessingError] = []
        for item in parse_documents(text, key, self._limits):
            if isinstance(item, DocumentProblem):
                message = item.message if key in item.message else f"{key}: {item.message}"
                where = f"line {item.line}" if "document" in message else f"document {item.index + 1}, line {item.line}"
                errors.append(_target_error("InputError", f"{message} ({where})"))
                continue
            data = item.data
            if not self._envelope.is_valid(data):
                problem = self._envelope.errors(data)[0]
                line, _ = item.locate(problem.path)
                errors.append(
                    _target_error(
                        "InputError",
                        f"{key}, document {item.index + 1} (line {line}): not an entity, "
                        f"{problem.text()}; every entity needs apiVersion, kind and metadata.name",
                    )
                )
                continue
            metadata = data["metadata"]
            annotations = metadata.get("annotations", {})
            if isinstance(annotations, dict):
                # Annotations of the wrong shape are left as written: validating the entity then reports them.
                annotations = {**annotations, ANNOTATION_ORIGIN_LOCATION: origin, ANNOTATION_LOCATION: key}
                data = {**data, "metadata": {**metadata, "annotations": annotations}}
            kind = data.get("kind")
            ref = stringify_entity_ref(data)
            if not self._rules.is_allowed(kind, origin):
                errors.append(
                    ProcessingError(
                        "NotAllowedError",
                        f"Entity {ref} at {key}, originated at {origin}, is not of an allowed kind for that location",
                        ("spec", "target"),
                        f"Allow kind {kind} in catalog.rules (or the location's own rules).",
                    )
                )
                continue
            children.append(ChildEntity.of(data, key, ref))
        return children, errors


#: Changes when the shape of the per-target cache does: caches of another shape are read as "changed".
_CACHE_FORMAT = 2


def _target_error(name: str, message: str) -> ProcessingError:
    return ProcessingError(name, message, ("spec", "target"), "Fix the file, or the location's target.")


def _error_to(error: ProcessingError) -> dict[str, str]:
    return {"name": error.name, "message": error.message, "hint": error.hint}


def _error_from(item: Any) -> ProcessingError:
    name, message, hint = (str(item.get(key, "")) for key in ("name", "message", "hint"))
    return ProcessingError(name or "Error", message, ("spec", "target"), hint)


class _ConfinedReader:
    """The location reader, refusing local files outside ``root`` (set per entity)."""

    def __init__(self, reader: LocationReader) -> None:
        self._reader = reader
        self.root: Path | None = None

    def read(self, target: str) -> bytes:
        if "://" not in target:
            if self.root is None:
                raise ReadError(
                    f"{target} is a local file; only descriptors read from files may use them", "NotAllowedError"
                )
            if not Path(target).resolve().is_relative_to(self.root.resolve()):
                raise ReadError(
                    f"{target} is outside {self.root}, the folder of the registered location", "NotAllowedError"
                )
        return self._reader.read(target)


def _annotation(entity: Entity, key: str, default: str) -> str:
    metadata = entity.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    value = annotations.get(key) if isinstance(annotations, dict) else None
    return value if isinstance(value, str) else default


def _split(location: str) -> tuple[str, str]:
    try:
        return parse_location_ref(location)
    except ValueError:
        return "", ""


def _annotate_url_location(entity: Entity, target: str) -> Entity:
    """view-url, edit-url and source-location from the URL the entity was read from (unless already set)."""
    metadata = entity["metadata"]
    annotations = dict(metadata.get("annotations") or {})
    parts = urlsplit(target)
    folder = urlunsplit((parts.scheme, parts.netloc, str(PurePosixPath(parts.path).parent).rstrip("/") + "/", "", ""))
    added = {ANNOTATION_VIEW_URL: target, ANNOTATION_SOURCE_LOCATION: f"url:{folder}"}
    if "/blob/" in parts.path:
        added[ANNOTATION_EDIT_URL] = target.replace("/blob/", "/edit/", 1)
    changed = {k: v for k, v in added.items() if k not in annotations}
    if not changed:
        return entity
    return {**entity, "metadata": {**metadata, "annotations": {**annotations, **changed}}}
