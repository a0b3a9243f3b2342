"""Fuzzing the ``${{ }}`` engine with templates built from Jinja's and Nunjucks' constructs. Whatever a template
author writes, rendering ends (within the limits) with a value or an InputError naming the field."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from callboard.core.errors import InputError
from callboard.core.limits import RenderLimits
from callboard.scaffolder.expressions import Renderer
from tests.support import fuzz_examples

RENDERER = Renderer(limits=RenderLimits(output_bytes=20_000, render_seconds=2.0, loop_iterations=5_000))
CONTEXT = {"parameters": {"name": "svc", "n": 3, "items": ["a", "b"], "repoUrl": "github.com?owner=o&repo=r"}}
PIECES = [
    "${{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    " ",
    "parameters",
    ".",
    "name",
    "n",
    "items",
    "[",
    "]",
    "(",
    ")",
    "'x'",
    '"y"',
    "1",
    "100000",
    "-1",
    "+",
    "-",
    "*",
    "**",
    "/",
    "//",
    "%",
    "~",
    "==",
    "===",
    "!==",
    "and",
    "or",
    "not",
    "if",
    "else",
    "endif",
    "for",
    "in",
    "endfor",
    "range(",
    "set",
    "endset",
    "macro",
    "endmacro",
    "m(",
    ",",
    "=",
    "|",
    "upper",
    "replace(",
    "center(",
    "join",
    "list",
    "length",
    "dump",
    "parseRepoUrl",
    "lipsum(",
    "namespace(",
    "ns.x",
    "loop.index",
    "caller(",
    "__class__",
    "mro",
    "self",
    "cycler",
    "joiner",
    "format(",
    ".replaceAll(",
    ".length",
    "'%s'",
    "'{}'",
    "x",
    "\n",
]


@settings(max_examples=fuzz_examples(1500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
@example("${{ parameters.__class__.__mro__ }}")
@example("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
@example("{% set ns = namespace(x='ab') %}{% for i in range(60) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}")
@example("${{ '%s' % parameters.items * 100000 }}")
def test_any_template_renders_or_says_why_not(text: str) -> None:
    try:
        result = RENDERER.render({"field": text}, CONTEXT)
    except InputError as error:
        assert error.message.startswith("field")
        return
    assert len(str(result)) <= 20_000 + 100
