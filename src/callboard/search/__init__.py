"""Search: one index of entities and docs pages, permission-aware, the same ranking on every engine."""
