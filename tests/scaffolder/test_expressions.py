"""${{ }} expressions: Nunjucks-compatible results, types kept, and a sandbox that holds."""

from __future__ import annotations

import pytest

from callboard.core.errors import InputError
from callboard.scaffolder.expressions import Renderer

CONTEXT = {
    "parameters": {
        "name": "svc",
        "port": 8080,
        "enabled": True,
        "repoUrl": "github.com?owner=acme&repo=svc",
        "tags": ["a", "b"],
    },
    "steps": {"publish": {"output": {"remoteUrl": "https://github.com/acme/svc.git"}}},
    "user": {"entity": {"metadata": {"name": "jane"}}, "ref": "user:default/jane"},
    "secrets": {"token": "t0k"},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${{ parameters.port }}", 8080),
        ("${{ parameters.enabled }}", True),
        ("${{ parameters.tags }}", ["a", "b"]),
        ("port ${{ parameters.port }}", "port 8080"),
        ("${{ parameters.repoUrl | parseRepoUrl }}", {"host": "github.com", "owner": "acme", "repo": "svc"}),
        ("${{ (parameters.repoUrl | parseRepoUrl).owner }}", "acme"),
        ("${{ parameters.repoUrl | projectSlug }}", "acme/svc"),
        ("${{ 'group:team-a' | parseEntityRef }}", {"kind": "group", "namespace": "default", "name": "team-a"}),
        ("${{ 'team-a' | parseEntityRef({'defaultKind': 'group'}) | pick('name') }}", "team-a"),
        ("${{ parameters.tags | dump }}", '["a","b"]'),
        ("${{ steps.publish.output.remoteUrl }}", "https://github.com/acme/svc.git"),
        ("${{ steps['publish'].output.remoteUrl }}", "https://github.com/acme/svc.git"),
        ("${{ user.entity.metadata.name }}", "jane"),
        ("${{ parameters.missing }}", None),
        ("${{ parameters.name | upper }}-${{ parameters.port + 1 }}", "SVC-8081"),
        ("no expression", "no expression"),
        ("${{ parameters.name.replaceAll('v', 'V').toUpperCase() }}", "SVC"),
        ("${{ parameters.tags.length }}", 2),
        ("${{ parameters.name === 'svc' }}", True),
        ("${{ parameters.nothing.deeper.still }}", None),
        ("${{ parameters.nothing.owner + '/' + parameters.name }}", "/svc"),
    ],
)
def test_expressions_render_like_backstage(template: str, expected: object) -> None:
    assert Renderer().render(template, CONTEXT) == expected


def test_nested_values_render_and_keep_their_shape() -> None:
    given = {"values": {"name": "${{ parameters.name }}", "ports": ["${{ parameters.port }}", 1]}, "flag": False}
    assert Renderer().render(given, CONTEXT) == {"values": {"name": "svc", "ports": [8080, 1]}, "flag": False}


@pytest.mark.parametrize(
    "attack",
    [
        "${{ ''.__class__.__mro__[1].__subclasses__() }}",
        "${{ parameters.__class__ }}",
        "${{ cycler.__init__.__globals__ }}",
        "${{ self._TemplateReference__context }}",
    ],
)
def test_the_sandbox_refuses_reaching_python_internals(attack: str) -> None:
    try:
        result = Renderer().render(attack, CONTEXT, where="spec.steps.x.input.a")
    except InputError as error:
        assert "spec.steps.x.input.a" in error.message
        return
    assert result in (None, "")  # an unsafe attribute is undefined: it never yields a Python object


def test_errors_name_where_the_expression_is() -> None:
    with pytest.raises(InputError, match=r"spec\.steps\.publish\.input\.repoUrl: .*has no repo"):
        Renderer().render(
            "${{ 'github.com?owner=x' | parseRepoUrl }}", CONTEXT, where="spec.steps.publish.input.repoUrl"
        )
    with pytest.raises(InputError, match=r"spec\.output: cannot render"):
        Renderer().render("${{ parameters.name ", CONTEXT, where="spec.output")


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("${{ parameters.enabled }}", True),
        ("${{ parameters.port > 9000 }}", False),
        ("${{ parameters.missing }}", False),
        ("false", False),
        (True, True),
    ],
)
def test_step_conditions_are_judged_like_javascript(condition: object, expected: bool) -> None:
    assert Renderer().truthy(condition, CONTEXT, where="if") is expected
