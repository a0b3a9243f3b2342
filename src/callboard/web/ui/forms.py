"""Template forms: JSON Schema parameters to HTML fields, and posted form data back to typed values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode


@dataclass
class Field:
    name: str
    title: str
    kind: str  # text, textarea, password, number, integer, checkbox, select, radio, multi, entity, repo, json
    required: bool
    description: str = ""
    help: str = ""
    value: Any = None
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    autofocus: bool = False
    placeholder: str = ""
    pattern: str = ""
    entity_kinds: list[str] = field(default_factory=list)
    allowed_hosts: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class FormStep:
    title: str
    description: str
    fields: list[Field]


def _kinds(schema: Mapping[str, Any], field_name: str) -> list[str]:
    options = schema.get("ui:options") or {}
    if field_name == "OwnerPicker":
        return list(options.get("allowedKinds") or ["Group", "User"])
    kinds = list(options.get("allowedKinds") or [])
    for item in options.get("catalogFilter") or []:
        kind = item.get("kind") if isinstance(item, dict) else None
        kinds += kind if isinstance(kind, list) else [kind] if kind else []
    return kinds or ([options["defaultKind"]] if options.get("defaultKind") else [])


def field_for(name: str, schema: Mapping[str, Any], required: bool, value: Any) -> Field:
    ui_field, widget = schema.get("ui:field", ""), schema.get("ui:widget", "")
    kind_of = schema.get("type", "string")
    result = Field(
        name=name,
        title=str(schema.get("title") or name),
        kind="text",
        required=required,
        description=str(schema.get("description") or ""),
        help=str(schema.get("ui:help") or ""),
        value=value if value is not None else schema.get("default"),
        autofocus=bool(schema.get("ui:autofocus")),
        placeholder=str(schema.get("ui:placeholder") or ""),
        pattern=str(schema.get("pattern") or ""),
    )
    if ui_field in ("EntityPicker", "OwnerPicker", "OwnedEntityPicker", "MyGroupsPicker"):
        result.kind, result.entity_kinds = "entity", _kinds(schema, ui_field)
    elif ui_field == "RepoUrlPicker":
        result.kind = "repo"
        result.allowed_hosts = list((schema.get("ui:options") or {}).get("allowedHosts") or ["github.com"])
    elif "enum" in schema:
        names = schema.get("enumNames") or schema.get("ui:enumNames") or schema["enum"]
        result.options = [(str(v), str(n)) for v, n in zip(schema["enum"], names, strict=False)]
        result.kind = "radio" if widget == "radio" else "select"
    elif kind_of == "boolean":
        result.kind = "checkbox"
    elif kind_of in ("integer", "number"):
        result.kind = kind_of
    elif kind_of == "array":
        items = schema.get("items") or {}
        if isinstance(items, dict) and "enum" in items:
            result.kind = "multi"
            result.options = [(str(v), str(v)) for v in items["enum"]]
        else:
            result.kind = "lines"
    elif kind_of == "object":
        result.kind = "json"
    elif widget in ("textarea", "password"):
        result.kind = widget
    return result


ONE_OF = "__oneof"


def _matches(alternative: Mapping[str, Any], key: str, value: Any) -> bool:
    schema = (alternative.get("properties") or {}).get(key) or {}
    if "const" in schema:
        return bool(schema["const"] == value)
    return value is not None and value in (schema.get("enum") or [])


def chosen_alternative(step: Mapping[str, Any], values: Mapping[str, Any], posted: str | None = None) -> int | None:
    """Which of a step's ``oneOf`` alternatives applies: the one posted, else the first whose required
    answers are all given."""
    alternatives = step.get("oneOf") or []
    if posted is not None and posted.isdigit() and int(posted) < len(alternatives):
        return int(posted)
    for index, alternative in enumerate(alternatives):
        required = alternative.get("required") or []
        if required and all(name in values for name in required):
            return index
    return None


def visible_schema(
    step: Mapping[str, Any], values: Mapping[str, Any], posted_choice: str | None = None
) -> tuple[dict[str, Any], set[str]]:
    """The properties a step shows for these answers: its own, those its ``dependencies`` add for the
    current values (rjsf's oneOf-in-dependencies form), and those of the chosen ``oneOf`` alternative."""
    properties = dict(step.get("properties") or {})
    required = set(step.get("required") or [])
    for key, dependency in (step.get("dependencies") or {}).items():
        if not isinstance(dependency, dict):
            continue
        for alternative in dependency.get("oneOf") or []:
            if _matches(alternative, key, values.get(key)):
                properties.update({k: v for k, v in (alternative.get("properties") or {}).items() if k != key})
                required |= set(alternative.get("required") or [])
        if "properties" in dependency and key in values:
            properties.update(dependency["properties"])
            required |= set(dependency.get("required") or [])
    choice = chosen_alternative(step, values, posted_choice)
    if choice is not None:
        alternative = step["oneOf"][choice]
        properties.update(alternative.get("properties") or {})
        required |= set(alternative.get("required") or [])
    return properties, required


def without_choices(values: Mapping[str, Any]) -> dict[str, Any]:
    """The answers without the wizard's own bookkeeping (which oneOf alternative was chosen)."""
    return {key: value for key, value in values.items() if not key.startswith(ONE_OF)}


def candidate_properties(step: Mapping[str, Any]) -> dict[str, Any]:
    """Every property a step may post, whatever is chosen (for reading the posted form)."""
    found = dict(step.get("properties") or {})
    for dependency in (step.get("dependencies") or {}).values():
        if isinstance(dependency, dict):
            for alternative in [*(dependency.get("oneOf") or []), dependency]:
                found.update(alternative.get("properties") or {})
    for alternative in step.get("oneOf") or []:
        found.update(alternative.get("properties") or {})
    return found


def form_steps(
    parameter_steps: list[dict[str, Any]], values: Mapping[str, Any], errors: Mapping[str, str]
) -> list[FormStep]:
    steps = []
    for index, step in enumerate(parameter_steps):
        posted = values.get(f"{ONE_OF}{index}")
        properties, required = visible_schema(step, values, str(posted) if posted is not None else None)
        order = list(step.get("ui:order") or []) + [
            name for name in properties if name not in (step.get("ui:order") or [])
        ]
        fields = []
        alternatives = step.get("oneOf") or []
        if alternatives:
            choice = chosen_alternative(step, values, str(posted) if posted is not None else None)
            selector = Field(
                name=ONE_OF,
                title="Choose one",
                kind="radio",
                required=True,
                value=str(choice) if choice is not None else None,
                options=[(str(i), str(a.get("title") or f"Option {i + 1}")) for i, a in enumerate(alternatives)],
                description="Choose, then Next shows its fields.",
            )
            selector.error = errors.get(ONE_OF, "")
            fields.append(selector)
        for name in order:
            schema = properties.get(name)
            if not isinstance(schema, dict) or schema.get("ui:widget") == "hidden":
                continue
            item = field_for(name, schema, name in required, values.get(name))
            item.error = errors.get(name, "")
            fields.append(item)
        steps.append(FormStep(str(step.get("title") or ""), str(step.get("description") or ""), fields))
    return steps


def repo_url(host: str, owner: str, repo: str) -> str:
    return f"{host}?{urlencode({'owner': owner, 'repo': repo})}" if (owner or repo) else ""


def split_repo_url(value: Any) -> tuple[str, str, str]:
    text = str(value or "")
    host, _, query = text.partition("?")
    parsed = {key: items[0] for key, items in parse_qs(query).items()}
    return host, parsed.get("owner", ""), parsed.get("repo", "")


def values_from_form(
    parameter_steps: list[dict[str, Any]], form: Mapping[str, list[str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values from posted fields, and the fields whose text could not be read as their type."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for step in parameter_steps:
        for name, schema in candidate_properties(step).items():
            if not isinstance(schema, dict) or (
                name not in form and f"{name}__owner" not in form and schema.get("type") != "boolean"
            ):
                continue
            item = field_for(name, schema, False, None)
            raw = form.get(name, [])
            text = raw[0].strip() if raw else ""
            if item.kind == "repo" and text:
                values[name] = text  # a whole host?owner=x&repo=y value (the review page sends it back)
            elif item.kind == "repo":
                host = (form.get(f"{name}__host") or [""])[0]
                owner, repo = (
                    (form.get(f"{name}__owner") or [""])[0].strip(),
                    (form.get(f"{name}__repo") or [""])[0].strip(),
                )
                if owner or repo:
                    values[name] = repo_url(host, owner, repo)
            elif item.kind == "checkbox":
                values[name] = bool(raw)
            elif item.kind == "multi":
                values[name] = list(raw)
            elif item.kind == "lines":
                if text:
                    values[name] = [line.strip() for line in raw[0].splitlines() if line.strip()]
            elif item.kind in ("integer", "number") and text:
                try:
                    values[name] = int(text) if item.kind == "integer" else float(text)
                except ValueError:
                    problems[name] = f"Enter a {'whole ' if item.kind == 'integer' else ''}number"
            elif item.kind == "json" and text:
                try:
                    values[name] = json.loads(text)
                except json.JSONDecodeError as error:
                    problems[name] = f"Enter JSON: {error.msg}"
            elif text:
                values[name] = text
    return values, problems


def review_rows(
    parameter_steps: list[dict[str, Any]], active: list[int], values: Mapping[str, Any]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The answers as the form asked for them: by step, in the form's order, with the fields' titles and the
    values as the form showed them (the option's name, Yes/No, secrets hidden)."""
    found = []
    for index, step in enumerate(form_steps(parameter_steps, values, {})):
        if index not in active:
            continue
        rows = [(item.title, _shown(item, values[item.name])) for item in step.fields if item.name in values]
        if rows:
            found.append((step.title, rows))
    return found


def _shown(item: Field, value: Any) -> str:
    if item.kind == "password":
        return "(hidden)"
    if item.options:
        names = dict(item.options)
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(names.get(str(one), str(one)) for one in chosen)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(one) for one in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)
