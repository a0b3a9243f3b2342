"""Mutated descriptors: valid corpus entities broken in the ways people break them, to compare verdicts."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

Entity = dict[str, Any]
Mutation = Callable[[Entity], Entity | None]


def _set(path: str, value: Any) -> Mutation:
    def apply(entity: Entity) -> Entity | None:
        result = copy.deepcopy(entity)
        target = result
        parts = path.split(".")
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                return None
            target = target[part]
        target[parts[-1]] = value
        return result

    return apply


def _delete(path: str) -> Mutation:
    def apply(entity: Entity) -> Entity | None:
        result = copy.deepcopy(entity)
        target = result
        parts = path.split(".")
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                return None
            target = target[part]
        if parts[-1] not in target:
            return None
        del target[parts[-1]]
        return result

    return apply


MUTATIONS: dict[str, Mutation] = {
    "no-apiversion": _delete("apiVersion"),
    "no-kind": _delete("kind"),
    "no-metadata": _delete("metadata"),
    "no-name": _delete("metadata.name"),
    "no-spec": _delete("spec"),
    "no-spec-type": _delete("spec.type"),
    "no-spec-owner": _delete("spec.owner"),
    "no-spec-lifecycle": _delete("spec.lifecycle"),
    "name-space": _set("metadata.name", "has space"),
    "name-long": _set("metadata.name", "a" * 64),
    "name-63": _set("metadata.name", "a" * 63),
    "name-dashes": _set("metadata.name", "a--b__c..d"),
    "name-trailing-dash": _set("metadata.name", "abc-"),
    "name-number": _set("metadata.name", 42),
    "name-empty": _set("metadata.name", ""),
    "namespace-upper": _set("metadata.namespace", "Team-A"),
    "namespace-double-dash": _set("metadata.namespace", "team--a"),
    "namespace-empty": _set("metadata.namespace", ""),
    "namespace-null": _set("metadata.namespace", None),
    "kind-lower": lambda e: _set("kind", str(e.get("kind", "")).lower())(e),
    "kind-digit": _set("kind", "9Component"),
    "kind-foreign": _set("kind", "Environment"),
    "apiversion-bad": _set("apiVersion", "backstage.io/v1/alpha"),
    "apiversion-foreign": _set("apiVersion", "example.com/v1"),
    "apiversion-beta": _set("apiVersion", "backstage.io/v1beta1"),
    "apiversion-number": _set("apiVersion", 1),
    "root-relations": _set("relations", [{"type": "ownedBy", "targetRef": "group:default/x"}]),
    "root-status": _set("status", {"items": []}),
    "root-unknown": _set("extra", {"a": 1}),
    "tag-upper": _set("metadata.tags", ["Java"]),
    "tag-underscore": _set("metadata.tags", ["ok", "snake_case"]),
    "tag-colon-plus": _set("metadata.tags", ["c++", "lang:go", "c#"]),
    "tag-empty": _set("metadata.tags", [""]),
    "tag-number": _set("metadata.tags", [5]),
    "tags-not-list": _set("metadata.tags", "java"),
    "label-bad-key": _set("metadata.labels", {"bad key": "v"}),
    "label-prefix": _set("metadata.labels", {"example.com/team": "a"}),
    "label-bad-value": _set("metadata.labels", {"team": "has space"}),
    "label-empty-value": _set("metadata.labels", {"team": ""}),
    "label-number-value": _set("metadata.labels", {"team": 3}),
    "annotation-bad-key": _set("metadata.annotations", {"a/b/c": "x"}),
    "annotation-long-value": _set("metadata.annotations", {"example.com/long": "x" * 5000}),
    "annotation-number": _set("metadata.annotations", {"example.com/n": 1}),
    "annotation-upper-prefix": _set("metadata.annotations", {"Example.com/n": "1"}),
    "links-no-url": _set("metadata.links", [{"title": "x"}]),
    "links-bad-url": _set("metadata.links", [{"url": "not a url"}]),
    "links-blank-title": _set("metadata.links", [{"url": "https://example.com", "title": "   "}]),
    "links-extra": _set("metadata.links", [{"url": "https://example.com", "color": "red"}]),
    "title-empty": _set("metadata.title", ""),
    "description-number": _set("metadata.description", 7),
    "uid-empty": _set("metadata.uid", ""),
    "owner-number": _set("spec.owner", 12),
    "owner-empty": _set("spec.owner", ""),
    "owner-bad-ref": _set("spec.owner", "group:"),
    "owner-full-ref": _set("spec.owner", "user:other/jane"),
    "system-list": _set("spec.system", ["a"]),
    "depends-no-kind": _set("spec.dependsOn", ["orders-db"]),
    "depends-with-kind": _set("spec.dependsOn", ["resource:orders-db", "component:default/x"]),
    "dependency-of-no-kind": _set("spec.dependencyOf", ["zz", "aa"]),
    "provides-string": _set("spec.providesApis", "api-a"),
    "provides-empty-item": _set("spec.providesApis", [""]),
    "spec-extra-field": _set("spec.somethingElse", {"x": 1}),
    "spec-null": _set("spec", None),
    "spec-list": _set("spec", []),
    "children-missing": _delete("spec.children"),
    "members-not-list": _set("spec.members", "jane"),
    "memberof-missing": _delete("spec.memberOf"),
    "memberof-null": _set("spec.memberOf", None),
    "profile-email-empty": _set("spec.profile", {"email": ""}),
    "presence-bad": _set("spec.presence", "sometimes"),
    "targets-string": _set("spec.targets", "./a.yaml"),
    "definition-object": _set("spec.definition", {"openapi": "3.0.0"}),
    "steps-missing": _delete("spec.steps"),
    "steps-no-action": _set("spec.steps", [{"id": "x"}]),
    "parameters-string": _set("spec.parameters", "x"),
    "output-links-bad": _set("spec.output", {"links": [{"url": ""}]}),
    "if-number": _set("spec.steps", [{"action": "debug:log", "if": 1}]),
}


def mutated_documents(entities: list[Entity]) -> Iterator[tuple[str, Entity]]:
    """Each mutation applied to the first entity of each kind it changes, named ``<mutation>-<kind>``."""
    by_kind: dict[str, Entity] = {}
    for entity in entities:
        by_kind.setdefault(str(entity.get("kind")), entity)
    for name, mutate in MUTATIONS.items():
        for kind, entity in sorted(by_kind.items()):
            mutated = mutate(entity)
            if mutated is not None and mutated != entity:
                yield f"{name}-{kind.lower()}", mutated


def write_mutations(entities: list[Entity], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, entity in mutated_documents(entities):
        path = folder / f"{name}.yaml"
        # JSON is YAML 1.2, so both parsers read exactly the same data.
        path.write_text(json.dumps(entity, indent=1) + "\n", "utf-8")
        paths.append(path)
    return paths
