from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callboard.core.entity import EntityRef, EntityRefError, stringify_entity_ref


@pytest.mark.parametrize(
    ("text", "defaults", "expected"),
    [
        ("component:default/artist-web", {}, ("component", "default", "artist-web")),
        ("Component:Default/Artist-Web", {}, ("Component", "Default", "Artist-Web")),
        ("artist-web", {"default_kind": "Group"}, ("Group", "default", "artist-web")),
        ("ops/artist-web", {"default_kind": "Group"}, ("Group", "ops", "artist-web")),
        ("user:jane", {"default_namespace": "team-a"}, ("user", "team-a", "jane")),
        # A slash before the first colon: the colon belongs to the name.
        ("ns/name:with-colon", {"default_kind": "API"}, ("API", "ns", "name:with-colon")),
    ],
)
def test_parse_applies_defaults_like_backstage(text: str, defaults: dict[str, str], expected: tuple[str, ...]) -> None:
    ref = EntityRef.parse(text, **defaults)
    assert (ref.kind, ref.namespace, ref.name) == expected


def test_canonical_form_is_lower_case_and_keeps_display_casing() -> None:
    ref = EntityRef.parse("Component:Default/Artist-Web")
    assert str(ref) == "component:default/artist-web"
    assert ref.name == "Artist-Web"
    assert ref.display() == "Component:Artist-Web"
    assert ref.display(default_kind="component") == "Artist-Web"


@pytest.mark.parametrize(
    ("text", "message", "js_name"),
    [
        ("orders-db", 'Entity reference "orders-db" had missing or empty kind', "Error"),
        ("group:", 'Entity reference "group:" was not on the form [<kind>:][<namespace>/]<name>', "TypeError"),
        (":x", "was not on the form", "TypeError"),
        ("a:/x", "was not on the form", "TypeError"),
        ("", "Entity reference must not be empty", "Error"),
    ],
)
def test_parse_errors_carry_backstage_messages(text: str, message: str, js_name: str) -> None:
    with pytest.raises(EntityRefError) as raised:
        EntityRef.parse(text)
    assert message in str(raised.value)
    assert raised.value.js_name == js_name


def test_compound_form_and_stringify_of_entity() -> None:
    assert str(EntityRef.parse({"kind": "API", "name": "pets"})) == "api:default/pets"
    entity = {"kind": "Group", "metadata": {"name": "Team-A"}}
    assert stringify_entity_ref(entity) == "group:default/team-a"
    assert EntityRef.of(entity).key == "group:default/team-a"


_part = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@given(kind=st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,10}", fullmatch=True), namespace=_part, name=_part)
def test_ref_round_trip(kind: str, namespace: str, name: str) -> None:
    ref = EntityRef(kind, namespace, name)
    text = f"{ref.kind}:{ref.namespace}/{ref.name}"
    assert EntityRef.parse(text) == ref
    assert EntityRef.parse(str(ref)).key == ref.key
