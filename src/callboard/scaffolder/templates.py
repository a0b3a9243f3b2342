"""Template entities (``scaffolder.backstage.io/v1beta3``): their form steps, their steps, their values checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft7Validator

from callboard.core.entity import EntityRef
from callboard.core.errors import InputError
from callboard.scaffolder.expressions import Renderer
from callboard.scaffolder.messages import human_message

API_VERSION = "scaffolder.backstage.io/v1beta3"
LOCATION = "backstage.io/managed-by-location"


@dataclass
class Step:
    id: str
    name: str
    action: str
    input: dict[str, Any] = field(default_factory=dict)
    condition: Any = None  # the step's `if`
    each: Any = None


@dataclass
class Template:
    entity: dict[str, Any]
    ref: str
    title: str
    description: str
    parameter_steps: list[dict[str, Any]]
    steps: list[Step]
    output: dict[str, Any]
    base_url: str  # where relative fetches are read from (the folder of the template file)

    @classmethod
    def from_entity(cls, entity: Mapping[str, Any], base_url: str | None = None) -> Template:
        if entity.get("kind") != "Template":
            raise InputError(f"{entity.get('kind')} is not a Template")
        if entity.get("apiVersion") != API_VERSION:
            raise InputError(
                f"Template apiVersion {entity.get('apiVersion')!r} is not supported; Callboard runs {API_VERSION} "
                "(v1beta2 templates use {{ }} instead of ${{ }}: update them as Backstage's migration guide says)"
            )
        metadata = entity.get("metadata") or {}
        spec = entity.get("spec") or {}
        parameters = spec.get("parameters") or []
        if isinstance(parameters, dict):
            parameters = [parameters]
        steps = []
        for index, raw in enumerate(spec.get("steps") or []):
            if not isinstance(raw, dict) or not raw.get("action"):
                raise InputError(f"spec.steps[{index}] has no action")
            steps.append(
                Step(
                    id=str(raw.get("id") or f"step-{index + 1}"),
                    name=str(raw.get("name") or raw["action"]),
                    action=str(raw["action"]),
                    input=dict(raw.get("input") or {}),
                    condition=raw.get("if"),
                    each=raw.get("each"),
                )
            )
        annotations = metadata.get("annotations") or {}
        ref = EntityRef("template", str(metadata.get("namespace") or "default"), str(metadata.get("name"))).key
        location = base_url or str(annotations.get(LOCATION) or "")
        return cls(
            dict(entity),
            ref,
            str(metadata.get("title") or metadata.get("name")),
            str(metadata.get("description") or ""),
            [dict(step) for step in parameters if isinstance(step, dict)],
            steps,
            dict(spec.get("output") or {}),
            location,
        )

    def parameter_schema(self) -> dict[str, Any]:
        """Backstage's ``GET /v2/templates/.../parameter-schema`` answer."""
        return {
            "title": self.title,
            "description": self.description,
            "steps": [
                {"title": step.get("title", ""), "description": step.get("description", ""), "schema": step}
                for step in self.parameter_steps
            ],
        }

    def with_defaults(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values with each form field's ``default`` filled in where the caller left it out (as the form does)."""
        filled = dict(values)
        for step in self.parameter_steps:
            for name, schema in (step.get("properties") or {}).items():
                if isinstance(schema, dict) and "default" in schema and name not in filled:
                    filled[name] = schema["default"]
        return filled

    def active_steps(self, values: Mapping[str, Any]) -> list[int]:
        """The form steps that apply: a step's ``when`` (an expression over earlier answers) can hide it."""
        renderer = Renderer()
        active = []
        for index, step in enumerate(self.parameter_steps):
            condition = step.get("when")
            if condition is None or renderer.truthy(
                condition, {"parameters": dict(values)}, where=f"spec.parameters[{index}].when"
            ):
                active.append(index)
        return active

    def validate(self, values: Mapping[str, Any]) -> list[dict[str, str]]:
        """Problems of the submitted values against every applicable form step's schema (empty when valid)."""
        problems = []
        active = set(self.active_steps(values))
        for index, step in enumerate(self.parameter_steps):
            if index not in active:
                continue
            schema = {key: value for key, value in step.items() if not key.startswith("ui:") and key != "when"}
            properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
            for error in Draft7Validator(schema).iter_errors(dict(values)):
                path = ".".join(str(part) for part in error.absolute_path)
                if error.validator == "required":
                    missing = str(error.message).split("'")[1] if "'" in error.message else ""
                    path = missing or path
                # "message" for people; "detail" is JSON Schema's own wording, for the template's author.
                message = human_message(error, properties or {})
                problems.append({"step": str(index), "path": path, "message": message, "detail": error.message})
        return problems
