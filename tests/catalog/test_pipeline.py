"""Each stage of entity processing, its verdict and its message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callboard.catalog.kinds import KindRegistry, KindSchema, KindSchemaError, builtin_kinds
from callboard.catalog.pipeline import EntityPipeline, ProcessingResult
from callboard.catalog.placeholders import LocalFileReader, PlaceholderResolution
from callboard.core.relations import Relation


def component(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "artist-web"},
        "spec": {"type": "website", "lifecycle": "production", "owner": "team-a", **spec},
    }


def process(entity: dict[str, Any], registry: KindRegistry | None = None, **kwargs: Any) -> ProcessingResult:
    return EntityPipeline(registry or KindRegistry(builtin_kinds()), **kwargs).process(
        entity, base=kwargs.pop("base", "")
    )


def message(result: ProcessingResult) -> str:
    assert not result.ok
    return f"{result.errors[0].name}: {result.errors[0].message}"


def test_valid_component_gets_default_namespace_and_relations_both_ways() -> None:
    result = process(component(system="artists", dependsOn=["resource:db"], providesApis=["b-api", "a-api"]))
    assert result.ok
    assert result.entity is not None
    assert result.entity["metadata"] == {"namespace": "default", "name": "artist-web"}
    assert result.entity["spec"]["providesApis"] == ["a-api", "b-api"]  # Backstage sorts reference lists
    me = "component:default/artist-web"
    assert set(result.relations) >= {
        Relation(me, "ownedBy", "group:default/team-a"),
        Relation("group:default/team-a", "ownerOf", me),
        Relation(me, "partOf", "system:default/artists"),
        Relation(me, "dependsOn", "resource:default/db"),
        Relation("resource:default/db", "dependencyOf", me),
        Relation(me, "providesApi", "api:default/a-api"),
        Relation("api:default/a-api", "apiProvidedBy", me),
    }


def test_references_default_to_the_entitys_own_namespace() -> None:
    entity = component()
    entity["metadata"]["namespace"] = "music"
    result = process(entity)
    assert Relation("component:music/artist-web", "ownedBy", "group:music/team-a") in result.relations


def test_envelope_failure_comes_first() -> None:
    result = process({"kind": "Component", "metadata": {"name": "bad name"}})
    assert message(result) == (
        "InputError: Entity envelope failed validation before processing; caused by TypeError: "
        "<root> must have required property 'apiVersion' - missingProperty: apiVersion"
    )
    assert result.errors[0].hint == "Add apiVersion."


def test_schema_policy_message_has_no_params() -> None:
    entity = component()
    entity["metadata"]["tags"] = "java"
    assert message(process(entity)) == (
        "InputError: Policy check failed for component:default/artist-web; caused by Error: "
        "Malformed envelope, /metadata/tags must be array"
    )


def test_unknown_root_fields_are_rejected_after_the_schema() -> None:
    entity = component()
    entity["relations"] = []
    result = process(entity)
    assert message(result).endswith("caused by Error: Unknown field relations")
    assert result.errors[0].path == ("relations",)


def test_field_format_failure() -> None:
    entity = component()
    entity["metadata"]["name"] = "Artist Web"
    assert '"metadata.name" is not valid' in message(process(entity))


def test_kind_schema_failure_names_the_processor_and_first_ajv_error() -> None:
    entity = component()
    del entity["spec"]["lifecycle"]
    result = process(entity)
    assert message(result) == (
        "InputError: Processor BuiltinKindsEntityProcessor threw an error while validating the entity "
        "component:default/artist-web; caused by TypeError: /spec must have required property 'lifecycle' "
        "- missingProperty: lifecycle"
    )
    assert result.errors[0].path == ("spec",)


def test_template_is_validated_by_the_scaffolder_processor() -> None:
    template = {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {"name": "new-service"},
        "spec": {"type": "service", "owner": "team-a", "steps": [{"id": "x"}]},
    }
    assert "Processor ScaffolderEntitiesProcessor threw an error" in message(process(template))
    template["spec"]["steps"] = [{"action": "debug:log"}]
    result = process(template)
    assert Relation("template:default/new-service", "ownedBy", "group:default/team-a") in result.relations


@pytest.mark.parametrize(
    ("change", "recognised"),
    [
        ({"kind": "Environment"}, False),
        ({"apiVersion": "backstage.io/v2"}, False),
        ({"kind": "component"}, False),
        ({"apiVersion": "backstage.io/v1beta1"}, True),
    ],
)
def test_foreign_kind_or_api_version_is_not_recognised(change: dict[str, str], recognised: bool) -> None:
    result = process({**component(), **change})
    if recognised:
        assert result.ok
    else:
        assert "No processor recognized the entity" in message(result)
        assert result.errors[0].path == ("kind",)


def test_reference_without_required_kind_fails_in_post_processing() -> None:
    result = process(component(dependsOn=["orders-db"]))
    assert message(result) == (
        "InputError: Processor BuiltinKindsEntityProcessor threw an error while postprocessing; caused by Error: "
        'Entity reference "orders-db" had missing or empty kind (e.g. did not start with "component:" or similar)'
    )
    assert result.errors[0].path == ("spec", "dependsOn", 0)


def environment_kind(**extra: Any) -> KindSchema:
    return KindSchema.from_spec_schema(
        "Environment",
        ["acme.io/v1"],
        {"type": "object", "required": ["owner"], "properties": {"owner": {"type": "string"}}},
        relations=[{"field": "spec.owner", "type": "ownedBy", "defaultKind": "Group"}],
        origin="test",
        **extra,
    )


def test_a_kind_schema_added_without_code_validates_and_relates() -> None:
    registry = KindRegistry([*builtin_kinds(), environment_kind()])
    entity = {"apiVersion": "acme.io/v1", "kind": "Environment", "metadata": {"name": "prod"}, "spec": {"owner": "ops"}}
    result = process(entity, registry)
    assert result.ok
    assert Relation("group:default/ops", "ownerOf", "environment:default/prod") in result.relations
    entity["spec"] = {}
    assert "Processor KindSchemaProcessor threw an error while validating" in message(process(entity, registry))
    entity["apiVersion"] = "acme.io/v2"
    assert "No processor recognized" in message(process(entity, registry))


def test_a_stricter_schema_for_a_built_in_kind_applies_too() -> None:
    stricter = KindSchema.from_spec_schema(
        "Component", ["backstage.io/v1alpha1"], {"type": "object", "required": ["system"]}, origin="test"
    )
    registry = KindRegistry([*builtin_kinds(), stricter])
    assert "must have required property 'system'" in message(process(component(), registry))
    assert process(component(system="s"), registry).ok


def test_broken_kind_schema_fails_at_registration() -> None:
    with pytest.raises(KindSchemaError, match="kind Broken"):
        KindSchema.from_spec_schema("Broken", ["x/v1"], {"$ref": "Nowhere"}, origin="test")


def api_with(definition: Any) -> dict[str, Any]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "API",
        "metadata": {"name": "pets"},
        "spec": {"type": "openapi", "lifecycle": "production", "owner": "team-a", "definition": definition},
    }


def resolving(root: Path) -> PlaceholderResolution:
    return PlaceholderResolution(LocalFileReader(root))


def test_text_json_and_yaml_placeholders_read_relative_files(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text("openapi: 3.0.0\n")
    (tmp_path / "extra.json").write_text(json.dumps({"x": [1]}))
    entity = api_with({"$text": "./spec.yaml"})
    entity["metadata"]["annotations"] = {"example.com/a": {"$json": "extra.json"}}  # type: ignore[dict-item]
    base = str(tmp_path / "catalog-info.yaml")
    pipeline = EntityPipeline(KindRegistry(builtin_kinds()), placeholders=resolving(tmp_path))
    result = pipeline.process(entity, base=base)
    # The resolved annotation is an object, which the schema policy then rejects, as Backstage does.
    assert "annotations/example.com~1a must be string" in message(result)
    entity["metadata"].pop("annotations")
    entity["spec"]["definition"] = {"$text": "./spec.yaml"}
    result = pipeline.process(entity, base=base)
    assert result.ok and result.entity is not None
    assert result.entity["spec"]["definition"] == "openapi: 3.0.0\n"
    assert (
        pipeline.process(api_with({"$yaml": "spec.yaml"}), base=base)
        .errors[0]
        .message.endswith("/spec/definition must be string - type: string")
    )


def test_placeholder_errors_name_the_target(tmp_path: Path) -> None:
    pipeline = EntityPipeline(KindRegistry(builtin_kinds()), placeholders=resolving(tmp_path))
    result = pipeline.process(api_with({"$text": "./missing.yaml"}), base=str(tmp_path / "c.yaml"))
    assert message(result).startswith(
        "InputError: Processor PlaceholderProcessor threw an error while preprocessing; caused by Error: "
        "Placeholder $text could not read location ./missing.yaml, NotFoundError"
    )
    assert result.errors[0].path == ("spec", "definition")


def test_placeholders_cannot_leave_the_repository(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("s3cret")
    repo = tmp_path / "repo"
    repo.mkdir()
    pipeline = EntityPipeline(KindRegistry(builtin_kinds()), placeholders=resolving(repo))
    result = pipeline.process(api_with({"$text": "../secret.txt"}), base=str(repo / "c.yaml"))
    assert "outside" in message(result)
    assert "s3cret" not in message(result)


def test_url_placeholders_are_reported_not_read_offline(tmp_path: Path) -> None:
    resolution = resolving(tmp_path)
    pipeline = EntityPipeline(KindRegistry(builtin_kinds()), placeholders=resolution)
    result = pipeline.process(api_with({"$text": "https://example.com/spec.yaml"}), base=str(tmp_path / "c.yaml"))
    assert result.ok
    assert [w.path for w in resolution.warnings] == [("spec", "definition")]
    assert "was not read" in resolution.warnings[0].message


def test_objects_with_several_dollar_keys_or_unknown_resolvers_are_left_alone(tmp_path: Path) -> None:
    resolution = resolving(tmp_path)
    data = {"a": {"$text": "x", "$json": "y"}, "b": {"$unknown": "z"}}
    assert resolution.apply(data, str(tmp_path / "c.yaml")) is data
