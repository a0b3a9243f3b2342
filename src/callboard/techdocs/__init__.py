"""TechDocs: docs-as-code sites built with MkDocs and techdocs-core, stored per entity, served in the portal."""
