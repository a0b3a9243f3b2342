"""The events the catalog publishes after each committed change (payload: ``{"entityRefs": [...]}``)."""

#: Entities whose final (stitched) form changed or appeared.
ENTITY_CHANGED = "catalog.entity.changed"
#: Entities removed from the catalog.
ENTITY_REMOVED = "catalog.entity.removed"
