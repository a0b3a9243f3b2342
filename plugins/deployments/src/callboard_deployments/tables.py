"""The plugin's tables; its migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

#: What runs where now: one row per workload a source reports (a Kubernetes Deployment, an Argo CD
#: application, or the last deployment event of an entity at a place no poller reaches).
workloads = Table(
    "deployment_workloads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    #: The cluster (or configured target) it runs in.
    Column("place", String(200), nullable=False),
    Column("namespace", String(253), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("name", String(400), nullable=False),
    #: What names its entity (the ``backstage.io/kubernetes-id`` label, the Argo CD application...).
    Column("match_key", String(400), nullable=False),
    Column("labels", Text, nullable=False),
    #: The entity it belongs to, once the catalog names it (None: not matched yet).
    Column("entity_ref", String(400)),
    Column("environment", String(60), nullable=False),
    Column("market", String(60), nullable=False),
    Column("version", String(200), nullable=False),
    Column("image", Text, nullable=False),
    Column("replicas", Integer),
    Column("ready", Integer),
    #: Healthy, Progressing, Degraded, Suspended, Missing or Unknown (Argo CD's words, which Kubernetes maps to).
    Column("health", String(40), nullable=False),
    Column("sync", String(40), nullable=False),
    Column("deployed_at", Float),
    Column("deployed_by", String(200), nullable=False),
    Column("url", Text, nullable=False),
    #: When the source last reported it (a live watch confirms it continuously: see deployment_sources).
    Column("observed_at", Float, nullable=False),
    UniqueConstraint("source", "place", "namespace", "kind", "name", name="uq_deployment_workloads_identity"),
    Index(
        "ix_deployment_workloads_fleet",
        "entity_ref",
        "environment",
        "version",
        "source",
        "place",
        "observed_at",
        "health",
        "deployed_at",
        "market",
    ),
    Index("ix_deployment_workloads_place", "place", "source", "entity_ref"),
    Index("ix_deployment_workloads_match", "match_key"),
)

#: The versions each entity had at each place, newest last: a row per change of version.
history = Table(
    "deployment_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity_ref", String(400), nullable=False),
    Column("place", String(200), nullable=False),
    Column("environment", String(60), nullable=False),
    Column("market", String(60), nullable=False),
    Column("version", String(200), nullable=False),
    Column("source", String(40), nullable=False),
    Column("since", Float, nullable=False),
    Column("deployed_by", String(200), nullable=False),
    Index("ix_deployment_history_cell", "entity_ref", "place", "since"),
)

#: Each source's progress per place and kind: the resourceVersion a watch resumes from, and when the source was
#: last heard from (what staleness is measured against).
sources = Table(
    "deployment_sources",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("place", String(200), nullable=False),
    Column("resource_version", String(100), nullable=False),
    Column("contacted_at", Float, nullable=False),
    Column("listed_at", Float),
    Column("error", Text),
)
