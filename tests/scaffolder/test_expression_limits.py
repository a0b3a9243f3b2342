"""Template expressions are untrusted code: none may produce unbounded output, memory or time, and each refusal
names the limit that stopped it. Ordinary templates are far inside every limit."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from callboard.core.errors import InputError
from callboard.core.limits import RenderLimits
from callboard.scaffolder.expressions import Renderer
from callboard.scaffolder.runner import Runner
from tests.scaffolder.test_runner import ACTIONS, template
from tests.support import write

CONTEXT = {"parameters": {"name": "svc", "big": "x" * 1000}}

BOMBS = [
    ("${{ 'x' * 300000000 }}", "outputBytes"),
    ("${{ ['x'] * 300000000 }}", "outputBytes"),
    ("${{ 'ab' ~ ('x' * 4000000) ~ ('y' * 4000000) }}", "outputBytes"),
    ("${{ lipsum(200000) }}", "lipsum"),
    ("${{ 'a' | center(1000000000) }}", "outputBytes"),
    ("${{ 'a'.center(1000000000) }}", "outputBytes"),
    ("${{ 'a'.ljust(1000000000) }}", "outputBytes"),
    ("${{ '%1000000000s' | format('x') }}", "outputBytes"),
    ("${{ '%1000000000s' % 'x' }}", "outputBytes"),
    ("${{ '{:>1000000000}'.format('x') }}", "outputBytes"),
    ("${{ parameters.big | replace('x', parameters.big * 1000) }}", "outputBytes"),
    ("${{ parameters.big.replaceAll('x', parameters.big * 1000) }}", "outputBytes"),
    ("${{ 10 ** (10 ** 10) }}", "too large"),
    ("${{ 'x' | indent(1000000000, true) }}", "outputBytes"),
    ("${{ 'a b' | wordwrap(1000000000) }}", "outputBytes"),
    (
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}${{ ns.s }}",
        "outputBytes",
    ),
    ("{% macro grow(s, n) %}${{ grow(s ~ s, n - 1) if n else s }}{% endmacro %}${{ grow('ab', 40) }}", "outputBytes"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "loopIterations"),
    (
        "{% set l = range(100000) | list %}{% for a in l %}{% for b in l %}{% endfor %}{% endfor %}",
        "loopIterations",
    ),
    ("{% for i in range(100000) %}${{ parameters.big }}{% endfor %}", "outputBytes"),
    (
        "{% set x %}{% for i in range(5000) %}${{ parameters.big }}{% endfor %}{% endset %}${{ x | length }}",
        "outputBytes",
    ),
    ("{% macro r(n) %}${{ r(n + 1) }}{% endmacro %}${{ r(0) }}", "recursion"),
]


@pytest.mark.parametrize(("text", "limit"), BOMBS, ids=[f"bomb{i}" for i in range(len(BOMBS))])
def test_expression_bombs_are_refused_with_the_limit_named(text: str, limit: str) -> None:
    renderer = Renderer(limits=RenderLimits(output_bytes=5_000_000, render_seconds=20.0, loop_iterations=200_000))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InputError) as refused:
            renderer.render({"step": {"message": text}}, CONTEXT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert limit in refused.value.message, refused.value.message
    assert "step.message" in refused.value.message
    assert peak < 120 * 1024 * 1024, f"{peak / 1e6:.0f} MB traced"
    # Generous, so the test says "bounded", not "fast": unbounded ones ran for minutes or forever.
    assert time.perf_counter() - started < 30


def test_the_render_time_limit_stops_slow_templates() -> None:
    renderer = Renderer(limits=RenderLimits(render_seconds=0.05, loop_iterations=10_000_000))
    slow = (
        "{% for i in range(100000) %}{% for j in range(50) %}${{ (i * j) | string | length }}{% endfor %}{% endfor %}"
    )
    with pytest.raises(InputError, match=r"scaffolder\.limits\.renderSeconds"):
        renderer.render(slow, CONTEXT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${{ 'x' * 1000 }}", "x" * 1000),
        ("{% for i in range(1000) %}a{% endfor %}", "a" * 1000),
        ("${{ lipsum(3, false) | length > 0 }}", True),
        ("${{ parameters.name | center(11) }}", "    svc    "),
        ("${{ parameters.big | replace('x', 'yy') | length }}", 2000),
        ("${{ 2 ** 64 }}", 2**64),
    ],
)
def test_ordinary_templates_are_far_inside_the_limits(text: str, expected: object) -> None:
    assert Renderer().render(text, CONTEXT) == expected


def test_skeleton_files_are_bounded_too(tmp_path: Path) -> None:
    write(tmp_path / "tpl" / "sk" / "big.txt", "{% for i in range(100000) %}${{ values.line }}{% endfor %}")
    write(tmp_path / "tpl" / "sk" / "ok.txt", "${{ values.line }}")
    tpl = template(
        [{"id": "fetch", "action": "fetch:template", "input": {"url": "./sk", "values": {"line": "y" * 100}}}],
        base=tmp_path / "tpl",
    )
    runner = Runner(ACTIONS, limits=RenderLimits(output_bytes=1_000_000))
    result = runner.run(tpl, {}, workspace=tmp_path / "ws", emit=lambda event: None)
    assert result.status == "failed"
    assert "big.txt" in result.error and "scaffolder.limits.outputBytes" in result.error
    assert not (tmp_path / "ws" / "big.txt").exists()


def test_log_lines_are_bounded() -> None:
    events: list[dict[str, object]] = []
    tpl = template([{"id": "log", "action": "debug:log", "input": {"message": "${{ 'z' * 3000000 }}"}}])
    result = Runner(ACTIONS).run(tpl, {}, workspace=Path("/tmp/callboard-log-test"), emit=events.append)
    assert result.status == "completed"
    longest = max(len(str(event["body"])) for event in events)
    assert longest < 100_000
