"""A scan from start to end: the organisation, every account, Terraform state, entities, and the delta the
catalog gets (nothing when nothing changed)."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from callboard.sdk import PluginContext, ProviderConnection
from callboard_aws import store
from callboard_aws.clients import CallCounter, Clients, StandIn
from callboard_aws.entities import (
    ARN,
    CLOUD_ACCOUNT,
    CLUSTER,
    IAC,
    UNOWNED,
    Builder,
    Owner,
    OwnerResolver,
    fingerprint,
    hashed_name,
    with_orphan_reason,
)
from callboard_aws.model import Account, AccountScan, Organization
from callboard_aws.organization import read_organization
from callboard_aws.responses import said
from callboard_aws.scan import Progress, Scanner
from callboard_aws.settings import Settings
from callboard_aws.terraform import Managed, read_states

log = logging.getLogger(__name__)
TERRAFORM_ONLY = "terraform"


class OrganizationUnreadable(RuntimeError):
    """Organizations could not be read: nothing was scanned, and the catalog keeps what it had."""


@dataclass
class ScanReport:
    started_at: float
    finished_at: float = 0.0
    dry_run: bool = False
    accounts: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    entities: list[dict[str, Any]] = field(default_factory=list)
    written: int = 0
    removed: int = 0
    calls: int = 0
    retries: int = 0
    calls_by_operation: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rows: list[store.AccountRow] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.finished_at - self.started_at


def entity_ref(entity: Mapping[str, Any]) -> str:
    metadata = entity["metadata"]
    return f"resource:{metadata.get('namespace', 'default')}/{metadata['name']}".lower()


class Inventory:
    def __init__(self, context: PluginContext) -> None:
        self.context = context
        #: The demo's moto server, when ``demo`` is on.
        self.stand_in: StandIn | None = None
        #: Set once the demo's stand-in is seeded: a scheduled scan waits for it.
        self.ready: threading.Event | None = None

    @property
    def settings(self) -> Settings:
        settings: Settings = self.context.config
        return settings

    def refresh(self, connection: ProviderConnection) -> int:
        """The scheduled scan (one replica at a time): how many entities it wrote or removed."""
        if self.ready is not None:
            self.ready.wait(300)
        report = self.scan(connection)
        return report.written + report.removed

    def scan(
        self,
        connection: ProviderConnection | None,
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        on_accounts: Callable[[list[Account]], None] | None = None,
    ) -> ScanReport:
        settings = self.settings
        report = ScanReport(started_at=self.context.now(), dry_run=dry_run)
        counter = CallCounter()
        clients = Clients(settings, counter, self.stand_in)
        try:
            organization = read_organization(clients.management("organizations"))
        except Exception as error:
            problem = f"could not read the organisation: {said(error)}"
            report.errors.append(problem)
            self._finish(report, counter, dry_run)
            raise OrganizationUnreadable(
                f"{problem} (boto3 takes credentials from the environment, ~/.aws or the instance's role; the "
                "management account, or a delegated administrator, needs the policy in the AWS inventory guide)"
            ) from error
        previous = store.load_accounts(self.context.database)
        members = [a for a in organization.accounts if _included(settings, a.id)]
        active = [a for a in members if a.status == "ACTIVE"]
        if on_accounts is not None:
            on_accounts(active)
        bucket_regions = {name: region for row in previous.values() for name, region in row.buckets.items()}
        results = Scanner(settings, clients, bucket_regions).scan(active, progress)
        states = read_states(settings.terraform, lambda region: clients.management("s3", region))
        report.errors += states.errors
        managed = {item.arn: item for item in states.managed}
        builder = Builder(settings, OwnerResolver(settings, self._group_exists))
        rows, seen = self._build(organization, members, results, previous, builder, managed, bool(settings.terraform))
        rows.update(self._terraform_only(managed, seen, rows, builder))
        for key, row in previous.items():
            if key not in rows and key != TERRAFORM_ONLY:
                rows[key] = self._left(row)
        _unique_names(rows)
        for row in rows.values():
            assert row.entities is not None
            row.fingerprint = fingerprint(row.entities)
        report.accounts = len(members)
        report.failed = {key: row.error for key, row in rows.items() if row.status == "failing" and row.error}
        report.rows = sorted(rows.values(), key=lambda row: (row.ou_path, row.name))
        report.entities = [entity for row in report.rows for entity in row.entities or []]
        added, removed, changed = self._delta(rows, previous)
        report.written, report.removed = len(added), len(removed)
        if not dry_run:
            if connection is not None and (added or removed):
                connection.apply_delta(added, removed)
            now = self.context.now()
            for row in changed:
                row.changed_at = now
            written = {row.key for row in changed}
            touched = {
                key: (row.scanned_at or now, row.seconds, row.error) for key, row in rows.items() if key not in written
            }
            gone = [key for key in previous if key not in rows]
            store.save(self.context.database, changed, touched, gone, organization.units)
        self._finish(report, counter, dry_run)
        return report

    def _build(
        self,
        organization: Organization,
        members: list[Account],
        results: Mapping[str, AccountScan],
        previous: Mapping[str, store.AccountRow],
        builder: Builder,
        managed: Mapping[str, Managed],
        iac: bool,
    ) -> tuple[dict[str, store.AccountRow], set[str]]:
        now = self.context.now()
        failing = [a.id for a in members if (results.get(a.id) and results[a.id].error) or a.status != "ACTIVE"]
        kept = store.entities_of(self.context.database, [key for key in failing if key in previous])
        rows: dict[str, store.AccountRow] = {}
        seen: set[str] = set()
        for account in members:
            entity, owner = builder.account(account, organization.root_id)
            result = results.get(account.id)
            status, error, buckets = "active", None, {}
            if account.status != "ACTIVE" or result is None or result.error:
                # Not readable now (suspended, or failing): what it had stays, as last read.
                status, error = ("suspended", None) if account.status != "ACTIVE" else ("failing", _error(result))
                resources = [e for e in kept.get(account.id, []) if e["spec"]["type"] != CLOUD_ACCOUNT]
                seen.update(e["metadata"]["annotations"].get("aws.amazon.com/arn", "") for e in resources)
                buckets = previous[account.id].buckets if account.id in previous else {}
            else:
                resources = []
                for found in result.resources:
                    seen.add(found.arn)
                    terraform = managed.get(found.arn)
                    resources.append(
                        builder.resource(found, account, owner, terraform.annotations() if terraform else None, iac)
                    )
                    if found.type_id == "s3-bucket":
                        buckets[found.name] = found.region
            entities = [entity, *sorted(resources, key=entity_ref)]
            rows[account.id] = _row(account, entities, owner, status, error, now, result, buckets)
        return rows, seen

    def _terraform_only(
        self, managed: Mapping[str, Managed], seen: set[str], rows: Mapping[str, store.AccountRow], builder: Builder
    ) -> dict[str, store.AccountRow]:
        """Resources a state file manages that no scan found: in an account not scanned, or gone from AWS."""
        entities = []
        for arn, item in sorted(managed.items()):
            if arn in seen:
                continue
            account_id = arn.split(":")[4] if arn.count(":") >= 5 else ""
            row = rows.get(account_id)
            owner = (
                Owner(row.owner, row.owner_rule, "organizations:ListTagsForResource")
                if row
                else Owner(None, "in no scanned account", "")
            )
            entities.append(
                builder.terraform_only(
                    item, account_id, owner, scanned=row is not None and row.status in ("active", "failing")
                )
            )
        if not entities:
            return {}
        now = self.context.now()
        placeholder = Account(TERRAFORM_ONLY, "Terraform only", "", "", "ACTIVE", ("(Terraform state)",), (), {})
        return {TERRAFORM_ONLY: _row(placeholder, entities, Owner(None, "", ""), "terraform", None, now, None, {})}

    def _left(self, before: store.AccountRow) -> store.AccountRow:
        row = dataclasses.replace(before)
        if row.status == "left":
            row.entities = store.entities_of(self.context.database, [row.key]).get(row.key, [])
            return row
        reason = f"AWS account {row.account_id} ({row.name}) is no longer in the organisation"
        entities = store.entities_of(self.context.database, [row.key]).get(row.key, [])
        row.entities = [with_orphan_reason(entity, reason) for entity in entities]
        row.status, row.error = "left", reason
        return row

    def _delta(
        self, rows: Mapping[str, store.AccountRow], previous: Mapping[str, store.AccountRow]
    ) -> tuple[list[dict[str, Any]], list[str], list[store.AccountRow]]:
        # Rows whose entities differ, or only what the page shows of them (a failing account keeps its entities).
        changed = [
            row
            for key, row in rows.items()
            if key not in previous
            or previous[key].fingerprint != row.fingerprint
            or _summary_changed(previous[key], row)
        ]
        old = store.entities_of(self.context.database, [row.key for row in changed if row.key in previous])
        added: list[dict[str, Any]] = []
        removed: list[str] = []
        for row in changed:
            before = {entity_ref(entity): entity for entity in old.get(row.key, [])}
            after = {entity_ref(entity): entity for entity in row.entities or []}
            added += [entity for ref, entity in after.items() if before.get(ref) != entity]
            removed += [ref for ref in before if ref not in after]
        still = {entity_ref(entity) for row in rows.values() for entity in row.entities or []}
        return added, [ref for ref in removed if ref not in still], changed

    def _group_exists(self, ref: str) -> bool:
        return self.context.catalog.entity(ref) is not None

    def _finish(self, report: ScanReport, counter: CallCounter, dry_run: bool) -> None:
        report.finished_at = self.context.now()
        report.calls, report.retries = counter.total, counter.retries
        report.calls_by_operation = dict(sorted(counter.calls.items()))
        if dry_run:
            return
        store.record_scan(
            self.context.database,
            {
                "started_at": report.started_at,
                "finished_at": report.finished_at,
                "dry_run": False,
                "accounts": report.accounts,
                "failed": len(report.failed),
                "entities": len(report.entities),
                "written": report.written,
                "removed": report.removed,
                "calls": report.calls,
                "retries": report.retries,
                "calls_by_operation": json.dumps(report.calls_by_operation),
                "errors": json.dumps(report.errors + [f"{key}: {error}" for key, error in report.failed.items()]),
            },
        )


def _included(settings: Settings, account_id: str) -> bool:
    accounts = settings.accounts
    return (not accounts.include or account_id in accounts.include) and account_id not in accounts.exclude


def _row(
    account: Account,
    entities: list[dict[str, Any]],
    owner: Owner,
    status: str,
    error: str | None,
    now: float,
    result: AccountScan | None,
    buckets: dict[str, str],
) -> store.AccountRow:
    counts = Counter(str(entity["spec"]["type"]) for entity in entities)
    labels = [entity["metadata"].get("labels") or {} for entity in entities]
    return store.AccountRow(
        key=account.id,
        account_id=account.id if account.id != TERRAFORM_ONLY else "",
        name=account.name,
        email=account.email,
        ou_path="/".join(account.ou_path),
        ou_id=account.ou_ids[-1] if account.ou_ids else "",
        owner=owner.ref,
        owner_rule=owner.rule,
        status=status,
        fingerprint="",
        counts=dict(sorted(counts.items())),
        unowned=sum(1 for label in labels if label.get(UNOWNED) == "true"),
        unmanaged=sum(1 for label in labels if label.get(IAC) == "unmanaged"),
        error=error,
        scanned_at=now,
        changed_at=None,
        seconds=round(result.seconds, 3) if result is not None else None,
        buckets=buckets,
        entities=entities,
    )


def _summary_changed(before: store.AccountRow, after: store.AccountRow) -> bool:
    return (before.status, before.owner, before.ou_path, before.name) != (
        after.status,
        after.owner,
        after.ou_path,
        after.name,
    )


def _unique_names(rows: Mapping[str, store.AccountRow]) -> None:
    """Two clusters of one name (in two accounts or regions) would be one entity: both get their ARN's hash."""
    refs = Counter(entity_ref(e) for row in rows.values() for e in row.entities or [] if e["spec"]["type"] == CLUSTER)
    for row in rows.values():
        for entity in row.entities or []:
            if entity["spec"]["type"] == CLUSTER and refs[entity_ref(entity)] > 1:
                entity["metadata"]["name"] = hashed_name(
                    entity["metadata"]["name"], entity["metadata"]["annotations"][ARN]
                )


def _error(result: AccountScan | None) -> str:
    return result.error or "not scanned" if result is not None else "not scanned"
