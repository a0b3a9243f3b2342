from __future__ import annotations

from typing import Any

import pytest

from callboard.catalog import field_format as ff

NAME_RULE = "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("a", True),
        ("artist-web", True),
        ("Artist_Web.v2", True),
        ("a--b", True),
        ("a._b", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("", False),
        ("-a", False),
        ("a-", False),
        ("a b", False),
        ("a/b", False),
        ("ä", False),
        (5, False),
    ],
)
def test_entity_names(value: Any, valid: bool) -> None:
    assert ff.is_valid_object_name(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("default", True),
        ("team-a", True),
        ("team--a", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("Team-A", False),
        ("team_a", False),
        ("-a", False),
        ("", False),
    ],
)
def test_namespaces_are_lower_case_dns_labels(value: str, valid: bool) -> None:
    assert ff.is_valid_namespace(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("backstage.io/v1alpha1", True),
        ("v1", True),
        ("my-company.net/v1", True),
        ("a/b/c", False),
        ("Backstage.io/v1", False),
        ("backstage.io/v1-alpha", False),
        ("backstage.io/", False),
    ],
)
def test_api_versions(value: str, valid: bool) -> None:
    assert ff.is_valid_api_version(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [("Component", True), ("API", True), ("x9", True), ("9x", False), ("My-Kind", False), ("a" * 64, False)],
)
def test_kinds(value: str, valid: bool) -> None:
    assert ff.is_valid_kind(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("backstage.io/managed-by-location", True),
        ("team", True),
        ("example.com/a_b", True),
        ("Example.com/x", False),
        ("a/b/c", False),
        ("/x", False),
        ("x/", False),
        ("bad key", False),
        ("a" * 254 + "/x", False),
    ],
)
def test_label_and_annotation_keys(value: str, valid: bool) -> None:
    assert ff.is_valid_label_key(value) is valid
    assert ff.is_valid_annotation_key(value) is valid


def test_label_values_may_be_empty_annotation_values_any_string() -> None:
    assert ff.is_valid_label_value("")
    assert not ff.is_valid_label_value("has space")
    assert ff.is_valid_annotation_value("any text, even long " * 100)
    assert not ff.is_valid_annotation_value(1)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("java", True),
        ("c++", True),
        ("c#", True),
        ("lang:go", True),
        ("a-b", True),
        ("a--b", False),
        ("Java", False),
        ("snake_case", False),
        ("dotted.tag", False),
        ("", False),
        ("a" * 64, False),
    ],
)
def test_tags(value: str, valid: bool) -> None:
    assert ff.is_valid_tag(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("https://example.com", True),
        ("mailto:a@b.c", True),
        ("slack:#channel", True),
        ("not a url", False),
        ("www.example.com", False),
        ("https://", False),
        ("https://exa mple.com", False),
    ],
)
def test_urls_follow_whatwg_parsing(value: str, valid: bool) -> None:
    assert ff.is_valid_url(value) is valid


def _entity(**metadata: Any) -> dict[str, Any]:
    return {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "x", **metadata}}


def test_first_violation_is_reported_in_backstage_order_with_its_message() -> None:
    entity = _entity(name="bad name", tags=["Bad"])
    violation = ff.check_field_formats(entity, ff.FieldFormatRules())
    assert violation is not None
    assert violation.path == ("metadata", "name")
    assert violation.message.startswith(f'"metadata.name" is not valid; expected {NAME_RULE} but found "bad name".')
    assert violation.message.endswith("adr002-default-catalog-file-format.md")


def test_labels_are_checked_before_annotations_then_tags_then_links() -> None:
    rules = ff.FieldFormatRules()
    entity = _entity(annotations={"a/b/c": "x"}, labels={"ok": "fine", "bad key": "v"}, tags=["Bad"])
    assert ff.check_field_formats(entity, rules).path == ("metadata", "labels", "bad key")  # type: ignore[union-attr]
    entity = _entity(annotations={"a/b/c": "x"}, tags=["Bad"])
    assert ff.check_field_formats(entity, rules).path == ("metadata", "annotations", "a/b/c")  # type: ignore[union-attr]
    entity = _entity(tags=["ok", "Bad"], links=[{"url": "nope"}])
    assert ff.check_field_formats(entity, rules).path == ("metadata", "tags", 1)  # type: ignore[union-attr]
    entity = _entity(links=[{"url": "https://x.io", "title": " "}])
    violation = ff.check_field_formats(entity, rules)
    assert violation is not None
    assert violation.message.startswith('"links.0.title" is not valid; expected a non empty string')


def test_rules_can_be_replaced() -> None:
    lenient = ff.FieldFormatRules().with_overrides(entity_name=lambda value: isinstance(value, str))
    assert ff.check_field_formats(_entity(name="any name at all"), lenient) is None
