"""Reading and writing the plugin's tables."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update

from callboard.sdk import PluginDatabase
from callboard_aws.model import OrgUnit
from callboard_aws.tables import accounts, cluster_workloads, scans, units


@dataclass
class AccountRow:
    key: str
    account_id: str
    name: str
    email: str
    ou_path: str
    ou_id: str
    owner: str | None
    owner_rule: str
    status: str
    fingerprint: str
    counts: dict[str, int]
    unowned: int
    unmanaged: int
    error: str | None
    scanned_at: float | None
    changed_at: float | None
    seconds: float | None
    buckets: dict[str, str]
    #: Only loaded (or set) when the entities are needed: they are the bulk of the row.
    entities: list[dict[str, Any]] | None = field(default=None, repr=False)


_COLUMNS = [c for c in accounts.c if c.name != "entities"]


def load_accounts(database: PluginDatabase, key: str | None = None) -> dict[str, AccountRow]:
    """Every account's row (or only ``key``'s), without the entities."""
    query = select(*_COLUMNS) if key is None else select(*_COLUMNS).where(accounts.c.key == key)
    with database.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return {
        row["key"]: AccountRow(**{**row, "counts": json.loads(row["counts"]), "buckets": json.loads(row["buckets"])})
        for row in rows
    }


def entities_of(database: PluginDatabase, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    with database.connect() as connection:
        for start in range(0, len(keys), 200):
            chunk = list(keys[start : start + 200])
            for key, text in connection.execute(
                select(accounts.c.key, accounts.c.entities).where(accounts.c.key.in_(chunk))
            ):
                found[key] = json.loads(text)
    return found


def save(
    database: PluginDatabase,
    changed: Iterable[AccountRow],
    touched: Mapping[str, tuple[float, float | None, str | None]],
    gone: Sequence[str],
    org_units: Sequence[OrgUnit] | None,
) -> None:
    """Write changed rows whole; for the rest only when they were scanned (and how long it took, and any error)."""
    with database.transaction() as connection:
        for row in changed:
            values = {
                **row.__dict__,
                "counts": json.dumps(row.counts, sort_keys=True),
                "buckets": json.dumps(row.buckets),
                "entities": json.dumps(row.entities),
            }
            connection.execute(delete(accounts).where(accounts.c.key == row.key))
            connection.execute(insert(accounts).values(**values))
        for key, (scanned_at, seconds, error) in touched.items():
            connection.execute(
                update(accounts)
                .where(accounts.c.key == key)
                .values(scanned_at=scanned_at, seconds=seconds, error=error)
            )
        for start in range(0, len(gone), 200):
            connection.execute(delete(accounts).where(accounts.c.key.in_(list(gone[start : start + 200]))))
        if org_units is not None:
            connection.execute(delete(units))
            if org_units:
                connection.execute(
                    insert(units),
                    [
                        {"id": u.id, "name": u.name, "path": "/".join(u.path), "parent_id": u.parent_id}
                        for u in org_units
                    ],
                )


def record_scan(database: PluginDatabase, values: Mapping[str, Any]) -> None:
    with database.transaction() as connection:
        connection.execute(insert(scans).values(**values))


def recent_scans(database: PluginDatabase, limit: int = 10) -> list[dict[str, Any]]:
    with database.connect() as connection:
        rows = connection.execute(select(scans).order_by(scans.c.id.desc()).limit(limit)).mappings().all()
    return [
        {**row, "errors": json.loads(row["errors"]), "calls_by_operation": json.loads(row["calls_by_operation"])}
        for row in rows
    ]


def org_units(database: PluginDatabase) -> list[dict[str, Any]]:
    with database.connect() as connection:
        return [dict(row) for row in connection.execute(select(units).order_by(units.c.path)).mappings()]


def set_running(database: PluginDatabase, running: Mapping[str, Sequence[str]]) -> None:
    """What runs on each cluster now (each cluster's whole list replaces the last)."""
    with database.transaction() as connection:
        for cluster, refs in running.items():
            connection.execute(delete(cluster_workloads).where(cluster_workloads.c.cluster == cluster))
            if refs:
                connection.execute(
                    insert(cluster_workloads), [{"cluster": cluster, "entity_ref": ref} for ref in sorted(set(refs))]
                )


def clusters_running(database: PluginDatabase, entity_ref: str) -> list[str]:
    with database.connect() as connection:
        return [
            row[0]
            for row in connection.execute(
                select(cluster_workloads.c.cluster)
                .where(cluster_workloads.c.entity_ref == entity_ref.lower())
                .order_by(cluster_workloads.c.cluster)
            )
        ]
