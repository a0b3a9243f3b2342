"""The plugin's tables; its migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

#: One row per account (or Terraform state group): what it gave the catalog last, so an unchanged account
#: writes nothing and a failing one keeps its entities.
accounts = Table(
    "aws_accounts",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(300), nullable=False),
    Column("ou_path", String(1000), nullable=False),
    Column("ou_id", String(100), nullable=False),
    Column("owner", String(400)),
    Column("owner_rule", Text, nullable=False),
    #: active, failing (kept as last scanned), left (no longer in the organisation), suspended.
    Column("status", String(20), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("entities", Text, nullable=False),
    #: {"kubernetes-cluster": 2, ...}, and the unowned and unmanaged counts.
    Column("counts", Text, nullable=False),
    Column("unowned", Integer, nullable=False),
    Column("unmanaged", Integer, nullable=False),
    Column("error", Text),
    Column("scanned_at", Float),
    Column("changed_at", Float),
    Column("seconds", Float),
    #: {bucket name: region}: a bucket never moves, so its location is asked once.
    Column("buckets", Text, nullable=False),
)

#: The organisation's units as the last scan found them (a tree by parent_id).
units = Table(
    "aws_units",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("path", String(1000), nullable=False),
    Column("parent_id", String(100), nullable=False),
)

#: Every scan: when, what it cost, what it changed.
scans = Table(
    "aws_scans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("accounts", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("entities", Integer, nullable=False),
    Column("written", Integer, nullable=False),
    Column("removed", Integer, nullable=False),
    Column("calls", Integer, nullable=False),
    Column("retries", Integer, nullable=False),
    Column("calls_by_operation", Text, nullable=False),
    Column("errors", Text, nullable=False),
)

#: Which catalog entities run on which cluster, as the Deployments plugin reports it (by cluster name).
cluster_workloads = Table(
    "aws_cluster_workloads",
    metadata,
    Column("cluster", String(200), primary_key=True),
    Column("entity_ref", String(400), primary_key=True),
    Index("ix_aws_cluster_workloads_entity", "entity_ref"),
)
