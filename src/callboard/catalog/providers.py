"""Entity providers: the roots of the catalog. Each registered location becomes a generated Location entity.

Two providers always exist, as in Backstage: one for ``catalog.locations`` in app-config and one for locations
registered through the API. Each owns a "bucket" of root entities that a full mutation replaces.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from callboard.catalog.children import ChildEntity
from callboard.core.entity import ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION, Entity

CONFIG_PROVIDER = "ConfigLocationProvider"
API_PROVIDER = "DefaultLocationStore"


@dataclass(frozen=True, slots=True)
class LocationSpec:
    type: str
    target: str
    #: The Location entity's name when it was registered (a moved location keeps it); else computed.
    entity_name: str = ""

    @property
    def ref(self) -> str:
        return f"{self.type}:{self.target}"


def location_entity_ref(location_type: str, target: str) -> str:
    """The ref of the Location entity Backstage makes for a registered location: ``generated-<sha1>``."""
    digest = hashlib.sha1(f"{location_type}:{target}".encode(), usedforsecurity=False).hexdigest()
    return f"location:default/generated-{digest}"


def generated_location_entity(location: LocationSpec) -> Entity:
    """The synthetic root entity Backstage makes for a registered location."""
    name = location.entity_name or location_entity_ref(location.type, location.target).rpartition("/")[2]
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {
            "name": name,
            "namespace": "default",
            "annotations": {ANNOTATION_LOCATION: location.ref, ANNOTATION_ORIGIN_LOCATION: location.ref},
        },
        "spec": {"type": location.type, "target": location.target},
    }


def root_entities(locations: list[LocationSpec], provider_key: str) -> list[ChildEntity]:
    roots = []
    for location in locations:
        entity = generated_location_entity(location)
        ref = f"location:default/{entity['metadata']['name']}"
        roots.append(ChildEntity.of(entity, f"{provider_key}:{location.ref}", ref))
    return roots
