"""The plugin's tables; its migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

#: One row per change, never updated: (source, external_id) makes a second delivery a no-op.
events = Table(
    "change_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("external_id", String(400), nullable=False),
    Column("type", String(40), nullable=False),
    Column("time", Float, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("title", String(500), nullable=False),
    Column("url", Text, nullable=False),
    Column("environment", String(100), nullable=False),
    Column("market", String(100), nullable=False),
    Column("cluster", String(200), nullable=False),
    Column("version", String(200), nullable=False),
    Column("attributes", Text, nullable=False),
    #: Why no entity was found for it (None once it concerns at least one).
    Column("unmatched", Text),
    UniqueConstraint("source", "external_id", name="uq_change_events_source_external_id"),
    Index("ix_change_events_time", "time", "id"),
    Index("ix_change_events_type_time", "type", "time"),
)

#: Which entities each event concerns, with the event's time: an entity's timeline is one index range.
event_entities = Table(
    "change_event_entities",
    metadata,
    Column("entity_ref", String(400), primary_key=True),
    Column("time", Float, primary_key=True),
    Column("event_id", Integer, primary_key=True),
    Index("ix_change_event_entities_event", "event_id"),
)

#: Annotations an unmatched event names (``github.com/project-slug=acme/payments``): when an entity with one
#: appears in the catalog, its events are matched to it.
pending_keys = Table(
    "change_event_pending",
    metadata,
    Column("match_key", String(600), primary_key=True),
    Column("event_id", Integer, primary_key=True),
    Index("ix_change_event_pending_event", "event_id"),
)
