"""The database schema, one SQLAlchemy Core table per concept. Migrations in ``migrations/`` create it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

#: Locations registered through the API or read from ``catalog.locations``.
locations = Table(
    "locations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("type", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("static", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    # The ref of the location's Location entity: kept when the location moves to another target.
    Column("entity_ref", Text),
    UniqueConstraint("type", "target", name="uq_locations_type_target"),
)

#: Every entity the catalog knows, processed or not: the unit of work of the processing loop.
refresh_state = Table(
    "refresh_state",
    metadata,
    Column("entity_id", String(36), primary_key=True),
    Column("entity_ref", Text, nullable=False, unique=True),
    Column("unprocessed_entity", Text, nullable=False),
    Column("unprocessed_hash", String(64), nullable=False),
    Column("processed_entity", Text),
    Column("result_hash", String(64)),
    Column("errors", Text),
    Column("cache", Text),
    Column("location_key", Text),
    Column("next_update_at", Float, nullable=False),
    Column("last_discovery_at", Float, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    Index("ix_refresh_state_next_update_at", "next_update_at"),
)

#: Who keeps whom alive: an edge from a provider (source_key) or a parent entity to a child entity.
refresh_state_references = Table(
    "refresh_state_references",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_key", Text),
    Column("source_entity_ref", Text),
    Column("target_entity_ref", Text, nullable=False),
    Index("ix_references_source_key", "source_key"),
    Index("ix_references_source_entity_ref", "source_entity_ref"),
    Index("ix_references_target_entity_ref", "target_entity_ref"),
)

#: Relations as processors emitted them, per originating entity (both directions are stored).
relations = Table(
    "relations",
    metadata,
    Column("originating_entity_id", String(36), nullable=False),
    Column("source_entity_ref", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("target_entity_ref", Text, nullable=False),
    Index("ix_relations_originating_entity_id", "originating_entity_id"),
    Index("ix_relations_source_entity_ref", "source_entity_ref"),
    Index("ix_relations_target_entity_ref", "target_entity_ref"),
)

#: Entities to re-stitch because other entities' relations to them changed (stitched in bulk, deduplicated).
stitch_queue = Table(
    "stitch_queue",
    metadata,
    Column("entity_ref", Text, primary_key=True),
    Column("queued_at", Float, nullable=False),
    Index("ix_stitch_queue_queued_at", "queued_at", "entity_ref"),
)

#: The stitched entities the API serves.
final_entities = Table(
    "final_entities",
    metadata,
    Column("entity_id", String(36), primary_key=True),
    Column("entity_ref", Text, nullable=False, unique=True),
    Column("hash", String(64), nullable=False),
    Column("final_entity", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("last_updated_at", Float, nullable=False),
    Index("ix_final_entities_last_updated_at", "last_updated_at"),
)

#: One row: raised by every transaction that writes or deletes final entities (``catalog/generation.py``).
catalog_generation = Table(
    "catalog_generation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

#: The filter index: one row per leaf value of each final entity, keys and values lower-cased.
search = Table(
    "search",
    metadata,
    Column("entity_id", String(36), nullable=False),
    Column("key", Text, nullable=False),
    Column("original_value", Text),
    Column("value", Text),
    Column("kind", Text),  # the entity's kind, lower-cased: facets within one kind scan one index range
    Index("ix_search_key_value", "key", "value"),
    Index("ix_search_kind_key_original", "kind", "key", "original_value"),
    Index("ix_search_entity_key_value", "entity_id", "key", "value"),
)


#: Keys that sign Callboard's tokens (ES256), shared by every replica through the database.
auth_keys = Table(
    "auth_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

#: Who did what: proxied calls and catalog changes.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("method", Text),
    Column("status", Integer),
    Column("bytes", Integer),
    Column("duration_ms", Float),
    Column("details", Text),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_actor_at", "actor", "at"),
    Index("ix_audit_log_action_at", "action", "at"),
)


#: Scaffolder tasks: a template run requested by someone, claimed by a worker with a lease.
scaffolder_tasks = Table(
    "scaffolder_tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("template_ref", Text, nullable=False),
    Column("spec", Text, nullable=False),
    Column("secrets", Text),
    Column("status", String(16), nullable=False),  # open, processing, completed, failed, cancelled
    Column("created_by", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_heartbeat_at", Float),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("output", Text),
    Column("error", Text),
    Index("ix_scaffolder_tasks_status_created", "status", "created_at"),
    Index("ix_scaffolder_tasks_created_by", "created_by", "created_at"),
)

#: What a task reported while it ran, in Backstage's event shape.
scaffolder_task_events = Table(
    "scaffolder_task_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", String(36), nullable=False),
    Column("type", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_scaffolder_task_events_task_id", "task_id", "id"),
)


#: Search documents: entities and docs sections, each with the fields the search page filters on. The
#: engine's full-text index over title, keywords and text is kept beside it (see migration 0009).
search_documents = Table(
    "search_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("type", String(64), nullable=False),
    Column("key", Text, nullable=False),
    Column("resource_ref", Text),
    Column("title", Text, nullable=False),
    Column("title_words", Text, nullable=False),  # the title's words, lower-cased, one space apart
    Column("keywords", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("kind", Text),
    Column("owner", Text),
    Column("lifecycle", Text),
    Column("document", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("type", "key", name="uq_search_documents_type_key"),
    Index("ix_search_documents_resource_ref", "resource_ref"),
    Index("ix_search_documents_updated_at", "updated_at"),
    Index("ix_search_documents_title_words", "title_words"),
)

#: Where each collator got to (a watermark, the etags of docs sites it indexed), shared by replicas.
search_state = Table(
    "search_state",
    metadata,
    Column("collator", String(64), primary_key=True),
    Column("state", Text, nullable=False),
)

#: What discovery last saw of each repository: its revision, the entities inferred from it, and when.
discovery_repositories = Table(
    "discovery_repositories",
    metadata,
    Column("source", String(128), primary_key=True),
    Column("name", Text, primary_key=True),
    Column("revision", Text, nullable=False),
    Column("version", String(32), nullable=False),
    Column("inferred", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("missing_since", Float),
)

#: What each scan of a discovery source did; the latest ``KEPT_RUNS`` per source are kept.
discovery_runs = Table(
    "discovery_runs",
    metadata,
    Column("source", String(128), primary_key=True),
    Column("started_at", Float, primary_key=True),
    Column("summary", Text, nullable=False),
)

#: Scheduled tasks (the portal's own and plugins'): when each runs next and who holds its lease. A global task
#: runs on the replica whose conditional UPDATE took the lease; a dead holder's lease runs out.
scheduled_tasks = Table(
    "scheduled_tasks",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("scope", String(16), nullable=False),
    Column("next_run_at", Float, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    Column("triggered_by", String(200)),  # who asked for a run now; NULL when nobody did
)

#: The last runs of each task, on every replica: when, how long, and how it ended.
scheduled_task_runs = Table(
    "scheduled_task_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", String(200), nullable=False, index=True),
    Column("replica", String(64), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("triggered_by", String(200)),
)

#: Events published by the portal and plugins; replicas read rows they did not write, by increasing id.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("origin", String(64), nullable=False),
    Column("published_at", Float, nullable=False, index=True),
)

#: Each person's marks on entities: starred (when) and last visited (when); a row with neither is deleted.
user_marks = Table(
    "user_marks",
    metadata,
    Column("user_ref", String(400), primary_key=True),
    Column("entity_ref", String(400), primary_key=True),
    Column("starred_at", Float),
    Column("visited_at", Float),
)
