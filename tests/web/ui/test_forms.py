"""Template forms: fields from JSON Schema, and posted text back to typed values."""

from __future__ import annotations

from callboard.web.ui.forms import form_steps, split_repo_url, values_from_form

STEPS = [
    {
        "required": ["name"],
        "ui:order": ["name", "port"],
        "properties": {
            "port": {"type": "integer", "default": 8080},
            "name": {"type": "string", "ui:autofocus": True, "ui:help": "lower case"},
            "secret": {"type": "string", "ui:widget": "password"},
            "size": {"type": "string", "enum": ["s", "m"], "enumNames": ["Small", "Medium"], "ui:widget": "radio"},
            "flags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
            "owner": {"type": "string", "ui:field": "OwnerPicker", "ui:options": {"allowedKinds": ["Group"]}},
            "repoUrl": {"type": "string", "ui:field": "RepoUrlPicker", "ui:options": {"allowedHosts": ["git.example"]}},
            "extra": {"type": "object"},
            "enabled": {"type": "boolean"},
            "hidden": {"type": "string", "ui:widget": "hidden"},
        },
    }
]


def test_fields_follow_the_schema_and_ui_options() -> None:
    (step,) = form_steps(STEPS, {}, {"name": "required"})
    kinds = {field.name: field.kind for field in step.fields}
    assert [field.name for field in step.fields][:2] == ["name", "port"]  # ui:order first
    assert kinds == {
        "name": "text",
        "port": "integer",
        "secret": "password",
        "size": "radio",
        "flags": "multi",
        "owner": "entity",
        "repoUrl": "repo",
        "extra": "json",
        "enabled": "checkbox",
    }
    by_name = {field.name: field for field in step.fields}
    assert by_name["name"].required and by_name["name"].autofocus and by_name["name"].error == "required"
    assert by_name["port"].value == 8080 and by_name["size"].options == [("s", "Small"), ("m", "Medium")]
    assert by_name["owner"].entity_kinds == ["Group"] and by_name["repoUrl"].allowed_hosts == ["git.example"]


def test_posted_text_becomes_typed_values_and_bad_text_is_reported() -> None:
    values, problems = values_from_form(
        STEPS,
        {
            "name": ["svc"],
            "port": ["80"],
            "flags": ["a", "b"],
            "enabled": ["true"],
            "extra": ['{"k": 1}'],
            "repoUrl__host": ["git.example"],
            "repoUrl__owner": ["team"],
            "repoUrl__repo": ["svc"],
        },
    )
    assert problems == {}
    assert values == {
        "name": "svc",
        "port": 80,
        "flags": ["a", "b"],
        "enabled": True,
        "extra": {"k": 1},
        "repoUrl": "git.example?owner=team&repo=svc",
    }
    assert split_repo_url(values["repoUrl"]) == ("git.example", "team", "svc")
    _, problems = values_from_form(STEPS, {"port": ["eighty"], "extra": ["{oops"]})
    assert problems["port"] == "Enter a whole number" and problems["extra"].startswith("Enter JSON")
