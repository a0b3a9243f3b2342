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


ONE_OF_STEP = {
    "title": "Environment",
    "oneOf": [
        {"title": "Lorem", "properties": {"lorem": {"type": "string"}}, "required": ["lorem"]},
        {"title": "Ipsum", "properties": {"ipsum": {"type": "string"}}, "required": ["ipsum"]},
    ],
}
DEPENDENT_STEP = {
    "properties": {"cloud": {"type": "string", "enum": ["AWS", "GCP"]}},
    "dependencies": {
        "cloud": {
            "oneOf": [
                {"properties": {"cloud": {"enum": ["AWS"]}, "region": {"type": "string"}}, "required": ["region"]},
                {"properties": {"cloud": {"enum": ["GCP"]}, "project": {"type": "string"}}},
            ]
        }
    },
}


def test_one_of_steps_offer_a_choice_then_its_fields() -> None:
    (step,) = form_steps([ONE_OF_STEP], {}, {})
    assert [f.name for f in step.fields] == ["__oneof"] and step.fields[0].options == [("0", "Lorem"), ("1", "Ipsum")]
    (step,) = form_steps([ONE_OF_STEP], {"__oneof0": "1"}, {})
    assert [f.name for f in step.fields] == ["__oneof", "ipsum"] and step.fields[1].required
    (step,) = form_steps([ONE_OF_STEP], {"lorem": "x"}, {})  # coming back: the answers say which one
    assert [f.name for f in step.fields] == ["__oneof", "lorem"] and step.fields[0].value == "0"
    values, _ = values_from_form([ONE_OF_STEP], {"__oneof": ["0"], "lorem": ["x"]})
    assert values == {"lorem": "x"}


def test_dependencies_add_the_fields_of_the_current_answer() -> None:
    assert [f.name for f in form_steps([DEPENDENT_STEP], {}, {})[0].fields] == ["cloud"]
    fields = form_steps([DEPENDENT_STEP], {"cloud": "AWS"}, {})[0].fields
    assert [(f.name, f.required) for f in fields] == [("cloud", False), ("region", True)]
    assert [f.name for f in form_steps([DEPENDENT_STEP], {"cloud": "GCP"}, {})[0].fields] == ["cloud", "project"]
    values, _ = values_from_form([DEPENDENT_STEP], {"cloud": ["AWS"], "region": ["eu-west-1"]})
    assert values == {"cloud": "AWS", "region": "eu-west-1"}
