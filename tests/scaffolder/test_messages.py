"""Form problems in people's words, from the JSON Schema error and the field's title."""

from __future__ import annotations

from typing import Any

import pytest

from callboard.scaffolder.messages import pattern_words
from callboard.scaffolder.templates import Template

TEMPLATE: dict[str, Any] = {
    "apiVersion": "scaffolder.backstage.io/v1beta3",
    "kind": "Template",
    "metadata": {"name": "t"},
    "spec": {
        "parameters": [
            {
                "required": ["name", "owner"],
                "properties": {
                    "name": {"title": "Name", "type": "string", "pattern": "^[a-z][a-z0-9-]{1,40}$"},
                    "owner": {"title": "Owner", "type": "string"},
                    "repoUrl": {"type": "string", "maxLength": 10},
                    "port": {"title": "Port", "type": "integer", "minimum": 1024, "maximum": 65535},
                    "lifecycle": {"type": "string", "enum": ["a", "b"], "enumNames": ["Experimental", "Production"]},
                    "email": {"title": "Contact", "type": "string", "format": "email"},
                },
            }
        ],
        "steps": [],
    },
}


def problems(values: dict[str, Any]) -> dict[str, str]:
    return {p["path"]: p["message"] for p in Template.from_entity(TEMPLATE).validate(values)}


def test_each_kind_of_problem_reads_as_a_sentence_about_the_field() -> None:
    assert problems({}) == {"name": "Name is required", "owner": "Owner is required"}
    found = problems(
        {"name": "My Service", "owner": "x", "repoUrl": "github.com?owner=a", "port": 80, "lifecycle": "c"}
    )
    assert found == {
        "name": "Name: start with a lower-case letter, then use lower-case letters, digits and dashes"
        " (2 to 41 characters)",
        "repoUrl": "Repo url must be at most 10 characters (it has 18)",
        "port": "Port must be at least 1024",
        "lifecycle": "Lifecycle must be one of: Experimental, Production",
    }
    assert problems({"name": "ok-name", "owner": "x", "port": "eighty"}) == {"port": "Port must be a whole number"}
    # JSON Schema's own wording stays beside it, for the template's author and API callers.
    (detail,) = [p["detail"] for p in Template.from_entity(TEMPLATE).validate({"owner": "x"})]
    assert detail == "'name' is a required property"


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("^[a-z0-9-]+$", "use lower-case letters, digits and dashes (at least 1 character)"),
        ("^[A-Za-z0-9_.]{3,}$", "use letters, digits, underscores and dots (at least 3 characters)"),
        ("^\\d{4}$", "use digits (4 characters)"),
        ("^[a-z]+(-[a-z]+)*$", "does not have the expected form (pattern ^[a-z]+(-[a-z]+)*$)"),
        ("[a-z]+", "does not have the expected form (pattern [a-z]+)"),
        ("^[^/]+$", "does not have the expected form (pattern ^[^/]+$)"),
    ],
)
def test_simple_patterns_are_put_in_words_and_others_quoted(pattern: str, words: str) -> None:
    assert pattern_words(pattern) == words
