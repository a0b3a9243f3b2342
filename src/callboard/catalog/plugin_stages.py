"""Plugins' catalog processors around the entity pipeline: ``preprocess`` before validation, ``postprocess``
after it. Whatever a processor does wrong (raises, returns something that is not an entity, emits one) is
a problem on the entity that names the processor, never a crash of the processing loop."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from callboard.catalog.pipeline import ProcessingError
from callboard.core.entity import ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION, Entity
from callboard.plugins.backend import CatalogProcessor, ProcessorResult


class ProcessorFailed(Exception):
    def __init__(self, error: ProcessingError) -> None:
        self.error = error


@dataclass
class Added:
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[ProcessingError] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)


def preprocess(processors: Sequence[CatalogProcessor], entity: Entity) -> Entity:
    """The entity after every ``preprocess``; each gets a copy, so a failing one changes nothing."""
    for processor in processors:
        if processor.preprocess is None:
            continue
        try:
            changed = processor.preprocess(copy.deepcopy(entity))
        except Exception as error:
            raise ProcessorFailed(_failed(processor.id, "preprocess", error)) from None
        if not isinstance(changed, dict):
            message = f"Processor {processor.id}: preprocess returned {type(changed).__name__}, not an entity"
            raise ProcessorFailed(ProcessingError("ProcessorError", message))
        entity = changed
    return entity


def postprocess(
    processors: Sequence[CatalogProcessor], entity: Entity, envelope_problem: Callable[[Any], str | None]
) -> Added:
    """Relations, problems and owned entities from every ``postprocess``, the owned ones managed where the
    entity is (Backstage copies the location annotations onto what a processor emits)."""
    added = Added()
    for processor in processors:
        if processor.postprocess is None:
            continue
        found = ProcessorResult()
        try:
            processor.postprocess(copy.deepcopy(entity), found)
        except Exception as error:
            added.errors.append(_failed(processor.id, "postprocess", error))
            continue
        added.relations.extend((str(kind), str(target).lower(), str(back)) for kind, target, back in found.relations)
        added.errors.extend(ProcessingError("ProcessorError", f"Processor {processor.id}: {m}") for m in found.errors)
        for extra in found.entities:
            problem = envelope_problem(extra)
            if problem is not None:
                message = f"Processor {processor.id} emitted what is not an entity: {problem}"
                added.errors.append(ProcessingError("ProcessorError", message))
                continue
            added.entities.append(_managed_like(entity, extra))
    return added


def _failed(processor: str, stage: str, error: Exception) -> ProcessingError:
    return ProcessingError(
        "ProcessorError",
        f"Processor {processor} failed in {stage}: {type(error).__name__}: {error}",
        (),
        "Fix the plugin that registers this processor, or uninstall it.",
    )


def _managed_like(parent: Entity, child: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(child.get("metadata") or {})
    annotations = dict(metadata.get("annotations") or {})
    parent_annotations = (parent.get("metadata") or {}).get("annotations") or {}
    for key in (ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION):
        if key in parent_annotations:
            annotations.setdefault(key, parent_annotations[key])
    metadata["annotations"] = annotations
    return {**child, "metadata": metadata}
