"""Realistic generated catalogs for benchmarks: an organisation of groups, users, systems, components, APIs."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import yaml

_WORDS = [
    "artist",
    "album",
    "playlist",
    "payment",
    "order",
    "search",
    "catalog",
    "billing",
    "invoice",
    "shipping",
    "account",
    "profile",
    "identity",
    "gateway",
    "ledger",
    "report",
    "inventory",
    "pricing",
    "review",
    "rating",
    "stream",
    "audio",
    "video",
    "podcast",
    "lyric",
    "radio",
    "chart",
    "recommend",
    "notify",
    "email",
    "sms",
    "push",
    "ingest",
    "export",
    "import",
    "sync",
    "cache",
    "queue",
    "audit",
    "risk",
    "fraud",
    "tax",
]
_LIFECYCLES = ("production", "production", "production", "experimental", "deprecated")
_TYPES = ("service", "service", "website", "library")
_TAGS = ("java", "python", "go", "typescript", "kotlin", "grpc", "rest", "kafka", "postgres", "react")

OPENAPI = """\
openapi: 3.0.3
info:
  title: {title}
  version: 1.{minor}.0
  description: Manages {noun} records for the {system} system.
servers:
  - url: https://{name}.internal.example.com/v1
paths:
  /{noun}s:
    get:
      summary: List {noun}s
      parameters:
        - name: limit
          in: query
          schema: {{type: integer, maximum: 500}}
        - name: cursor
          in: query
          schema: {{type: string}}
      responses:
        '200':
          description: A page of {noun}s
          content:
            application/json:
              schema:
                type: array
                items: {{$ref: '#/components/schemas/{Noun}'}}
    post:
      summary: Create a {noun}
      requestBody:
        content:
          application/json:
            schema: {{$ref: '#/components/schemas/{Noun}'}}
      responses:
        '201': {{description: Created}}
  /{noun}s/{{id}}:
    get:
      summary: Get one {noun}
      parameters:
        - {{name: id, in: path, required: true, schema: {{type: string}}}}
      responses:
        '200': {{description: The {noun}}}
        '404': {{description: Not found}}
components:
  schemas:
    {Noun}:
      type: object
      required: [id, name]
      properties:
        id: {{type: string, format: uuid}}
        name: {{type: string}}
        createdAt: {{type: string, format: date-time}}
"""


def _name(rng: random.Random, index: int) -> str:
    return f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}-{index}"


def generate_entities(count: int, *, seed: int = 7, api_share: float = 0.2) -> Iterator[dict[str, Any]]:
    """``count`` entities: 2% groups, 10% users, 2% systems, ``api_share`` APIs (half with inline OpenAPI)."""
    rng = random.Random(seed)
    groups = [f"team-{i}" for i in range(max(1, count // 50))]
    systems = [f"system-{i}" for i in range(max(1, count // 50))]
    for index in range(count):
        roll = rng.random()
        name = _name(rng, index)
        metadata: dict[str, Any] = {
            "name": name,
            "description": f"Handles {rng.choice(_WORDS)} and {rng.choice(_WORDS)} for the {rng.choice(_WORDS)} area.",
            "tags": rng.sample(_TAGS, 2),
            "annotations": {
                "github.com/project-slug": f"acme/{name}",
                "backstage.io/techdocs-ref": "dir:.",
            },
            "links": [{"url": f"https://grafana.example.com/d/{name}", "title": "Dashboard", "icon": "dashboard"}],
        }
        if roll < 0.02:
            yield {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Group",
                "metadata": metadata,
                "spec": {"type": "team", "children": [], "parent": rng.choice(groups)},
            }
        elif roll < 0.12:
            yield {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "User",
                "metadata": metadata,
                "spec": {"memberOf": [rng.choice(groups)], "profile": {"email": f"{name}@example.com"}},
            }
        elif roll < 0.14:
            yield {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "System",
                "metadata": metadata,
                "spec": {"owner": rng.choice(groups), "domain": "music"},
            }
        elif roll < 0.14 + api_share:
            noun = rng.choice(_WORDS)
            system = rng.choice(systems)
            definition = (
                OPENAPI.format(title=name, minor=index % 10, noun=noun, Noun=noun.title(), system=system, name=name)
                if rng.random() < 0.5
                else f'syntax = "proto3";\nservice {noun.title()} {{}}\n'
            )
            yield {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "API",
                "metadata": metadata,
                "spec": {
                    "type": "openapi",
                    "lifecycle": rng.choice(_LIFECYCLES),
                    "owner": rng.choice(groups),
                    "system": system,
                    "definition": definition,
                },
            }
        else:
            yield {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": metadata,
                "spec": {
                    "type": rng.choice(_TYPES),
                    "lifecycle": rng.choice(_LIFECYCLES),
                    "owner": rng.choice(groups),
                    "system": rng.choice(systems),
                    "providesApis": [_name(rng, index)],
                    "consumesApis": [_name(rng, index + 1)],
                    "dependsOn": [f"resource:{rng.choice(_WORDS)}-db"],
                },
            }


def as_yaml(entities: list[dict[str, Any]]) -> str:
    """One multi-document YAML text, written as people write descriptors (block style)."""
    return yaml.dump_all(entities, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False, width=120)


def write_catalog_tree(root: Any, count: int, *, per_file: int = 500, seed: int = 7) -> Any:
    """Write ``count`` entities as files of ``per_file`` under ``root`` with a root Location; return its path."""
    from pathlib import Path  # noqa: PLC0415

    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    entities = list(generate_entities(count, seed=seed))
    targets = []
    for start in range(0, count, per_file):
        name = f"entities-{start // per_file:05d}.yaml"
        (folder / name).write_text(as_yaml(entities[start : start + per_file]), "utf-8")
        targets.append(f"./{name}")
    location = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": "generated-catalog"},
        "spec": {"targets": targets},
    }
    path = folder / "catalog-info.yaml"
    path.write_text(yaml.safe_dump(location, sort_keys=False), "utf-8")
    return path
