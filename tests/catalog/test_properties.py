"""Properties: the parser and the pipeline report problems; they never raise on arbitrary input."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callboard.catalog.descriptors import Document, parse_documents
from callboard.catalog.kinds import KindRegistry, builtin_kinds
from callboard.catalog.pipeline import EntityPipeline

PIPELINE = EntityPipeline(KindRegistry(builtin_kinds()))

# YAML forbids control characters in a stream, so text here is printable (JSON escapes are covered below).
_text = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "apiVersion",
        "kind",
        "metadata",
        "spec",
        "name",
        "namespace",
        "owner",
        "tags",
        "labels",
        "annotations",
        "links",
        "url",
        "type",
        "lifecycle",
        "dependsOn",
        "memberOf",
        "$text",
        "x",
    ]
)
_entityish = st.recursive(
    _scalars | st.sampled_from(["Component", "backstage.io/v1alpha1", "team-a", "resource:db", "API", "Group"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_keys, children, max_size=6),
    max_leaves=30,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab: -\n\t[]{}'\"#&*!|>%@`,?~0.\\$")), max_size=80))
def test_parser_never_raises_on_arbitrary_text(text: str) -> None:
    for item in parse_documents(text, "fuzz.yaml"):
        assert item.line >= 1


@settings(max_examples=300)
@given(_json)
def test_parser_reads_any_json_document(value: Any) -> None:
    # ensure_ascii=False: libyaml refuses JSON's surrogate-pair escapes (\ud800\udc00), a known gap.
    items = list(parse_documents(json.dumps(value, ensure_ascii=False), "fuzz.yaml"))
    if isinstance(value, dict):
        assert len(items) == 1
        assert isinstance(items[0], Document)
        assert items[0].data == value


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(_entityish)
def test_pipeline_never_raises_only_reports(value: Any) -> None:
    entity = value if isinstance(value, dict) else {"spec": value}
    result = PIPELINE.process(entity)
    assert result.ok or (result.errors and result.errors[0].message)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    metadata=st.dictionaries(_keys, _entityish, max_size=5),
    spec=st.dictionaries(_keys, _entityish, max_size=5),
)
def test_pipeline_never_raises_on_component_shapes(metadata: dict[str, Any], spec: dict[str, Any]) -> None:
    entity = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "x", **metadata},
        "spec": spec,
    }
    result = PIPELINE.process(entity)
    assert result.ok or result.errors[0].message
