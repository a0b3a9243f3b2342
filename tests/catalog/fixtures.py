"""A small, complete organisation written for the tests, in files, the way adopters lay them out."""

from __future__ import annotations

from pathlib import Path

from tests.support import write

ORG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform, description: Platform engineering}
spec: {type: department, children: [team-a, team-b]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, parent: platform, children: [], members: [jane]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-b}
spec: {type: team, parent: platform, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jane}
spec: {memberOf: [team-a], profile: {displayName: Jane Doe, email: jane@example.com}}
"""

SYSTEMS = """\
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata: {name: music}
spec: {owner: platform}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: artists, title: Artist Platform}
spec: {owner: team-a, domain: music}
"""

COMPONENTS = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: artist-web
  title: Artist Web
  description: The place to be for great artists
  tags: [java, web]
  labels: {tier: frontend}
  annotations: {github.com/project-slug: acme/artist-web}
spec:
  type: website
  lifecycle: production
  owner: team-a
  system: artists
  consumesApis: [artist-api]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: artist-lookup, description: Looks artists up, tags: [python]}
spec:
  type: service
  lifecycle: experimental
  owner: team-b
  system: artists
  providesApis: [artist-api]
  dependsOn: [resource:artists-db]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: Playback-Order}
spec: {type: service, lifecycle: production, owner: user:jane}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: artist-api, description: Artist records}
spec:
  type: openapi
  lifecycle: production
  owner: team-b
  system: artists
  definition:
    $text: ./artist-api.yaml
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: artists-db}
spec: {type: database, owner: team-b, system: artists}
"""

OPENAPI = """\
openapi: 3.0.3
info: {title: Artist API, version: 1.0.0}
paths: {}
"""

ROOT = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: example-root}
spec:
  targets: [./org.yaml, ./systems.yaml, ./components/all.yaml]
"""

ALL_KINDS = ["Component", "API", "System", "Domain", "Resource", "Group", "User", "Location", "Template"]


def write_catalog(root: Path) -> Path:
    """Write the example catalog under ``root``; return the root Location file."""
    write(root / "org.yaml", ORG)
    write(root / "systems.yaml", SYSTEMS)
    write(root / "components" / "all.yaml", COMPONENTS)
    write(root / "components" / "artist-api.yaml", OPENAPI)
    return write(root / "catalog-info.yaml", ROOT)


def config(root_location: Path, database: dict[str, object], **catalog: object) -> dict[str, object]:
    return {
        "backend": {"database": database},
        "catalog": {
            "rules": [{"allow": ALL_KINDS}],
            "locations": [{"type": "file", "target": str(root_location)}],
            **catalog,
        },
    }
