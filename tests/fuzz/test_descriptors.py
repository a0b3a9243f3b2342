"""Fuzzing the descriptor reader and the pipeline with YAML built from the constructs that break parsers:
anchors and aliases, flow and block nesting, tags, quotes, duplicate keys, bytes that are not UTF-8.

Properties: nothing raises; every problem has a place; and no document the reader accepts holds more values
(aliases expanded) or deeper nesting than the limits, which is what keeps an alias bomb from being built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from callboard.catalog.descriptors import Document, parse_documents
from callboard.catalog.kinds import KindRegistry, builtin_kinds
from callboard.catalog.pipeline import EntityPipeline
from callboard.catalog.processing import ItemProcessor
from callboard.catalog.reading import LocationReader
from callboard.catalog.rules import CatalogRules
from callboard.core.limits import DescriptorLimits
from tests.support import fuzz_examples

LIMITS = DescriptorLimits(file_bytes=64 * 1024, documents_per_file=20, expanded_nodes=2000, depth=12)
PIPELINE = EntityPipeline(KindRegistry(builtin_kinds()))
PROCESSOR = ItemProcessor(KindRegistry(builtin_kinds()), LocationReader(), CatalogRules.from_config({}), LIMITS)

TOKENS = [
    "apiVersion: backstage.io/v1alpha1\n",
    "kind: Component\n",
    "kind: Location\n",
    "metadata:\n",
    "  name: a\n",
    "  name: b\n",
    "spec:\n",
    "  type: service\n",
    "  owner: team-a\n",
    "  lifecycle: production\n",
    "---\n",
    "...\n",
    "&a ",
    "&b ",
    "*a",
    "*b",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "\n",
    "  ",
    "\t",
    "'",
    '"',
    "#",
    "!!str ",
    "!!binary ",
    "!Ref ",
    "!!python/object:os.system ",
    "? ",
    "|\n",
    ">\n",
    "%YAML 1.2\n",
    "x",
    "0x1F",
    ".inf",
    "~",
    "null",
    "yes",
    "2021-01-01",
    "\\0",
    '"\\ud800"',
    '"\\0"',
    "\ufeff",
    "ü",
    "a: &x [*x]",
    "k: &l [1, 2]\nm: [*l, *l, *l, *l]\n",
    "metadata: {name: a, name: b}\n",
    "$text: ./x\n",
]


def _expanded(value: Any, depth: int = 0) -> tuple[int, int]:
    """Values once every alias is expanded, and the deepest nesting: what JSON of the document would hold."""
    if isinstance(value, dict):
        parts = [_expanded(item, depth + 1) for item in value.values()]
    elif isinstance(value, list):
        parts = [_expanded(item, depth + 1) for item in value]
    else:
        return 1, depth
    return 1 + sum(size for size, _ in parts), max([depth, *(deepest for _, deepest in parts)])


@settings(max_examples=fuzz_examples(1500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
@example(
    [
        "a: &a [x, x, x, x, x, x, x, x, x]\n",
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
        "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
    ]
)
@example(["[" * 40])
@example(["- " * 40, "x"])
@example(["a: &x [*x]"])
def test_the_reader_never_raises_and_never_accepts_past_its_limits(tokens: list[str]) -> None:
    text = "".join(tokens)
    total = 0
    for item in parse_documents(text, "fuzz.yaml", LIMITS):
        assert item.line >= 1 and item.column >= 1
        if isinstance(item, Document):
            size, depth = _expanded(item.data)
            total += size
            assert depth <= LIMITS.depth
            result = PIPELINE.process(item.data)
            assert result.ok or result.errors[0].message
    assert total <= LIMITS.expanded_nodes


@settings(max_examples=fuzz_examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=30), st.binary(max_size=8))
def test_a_location_target_of_any_bytes_gives_entities_or_errors(tokens: list[str], noise: bytes) -> None:
    content = "".join(tokens).encode("utf-8") + noise
    children, errors = PROCESSOR._parse_target(content, "file", str(Path("/fuzz/target.yaml")), "file:/fuzz/root.yaml")
    for error in errors:
        assert "file:/fuzz/target.yaml" in error.message
    for child in children:
        assert child.entity_ref and child.location_key == "file:/fuzz/target.yaml"
