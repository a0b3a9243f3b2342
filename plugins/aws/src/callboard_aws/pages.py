"""The Accounts page, its API, and the entity cards: an account's clusters and resources, and the clusters a
component runs on."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from callboard.sdk import EntityContext, EntityRef, NotAllowedError, current_access
from callboard_aws import store
from callboard_aws.entities import ACCOUNT_ID, CLOUD_ACCOUNT, CLUSTER, CLUSTER_NAME, UNOWNED, account_name
from callboard_aws.inventory import TERRAFORM_ONLY, Inventory
from callboard_aws.permissions import READ
from callboard_aws.types import TYPES

#: Resource kinds in the order the page shows them, with their words.
KINDS = [("kubernetes-cluster", "clusters"), ("database", "databases"), ("queue", "queues"), ("topic", "topics")]
KINDS += [("function", "functions"), ("bucket", "buckets"), ("container-registry", "container registries")]
assert {kind for kind, _ in KINDS} == {kind.spec_type for kind in TYPES}, "every resource type has its words"


def require() -> None:
    decision = current_access().decide(READ)
    if not decision.allowed:
        raise NotAllowedError(f"{READ} is needed to see the AWS inventory ({decision.reason or 'denied by policy'})")


def _when(moment: float | None) -> str:
    if not moment:
        return "never"
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _entity_href(ref: str) -> str:
    parsed = EntityRef.parse(ref, default_kind="resource")
    return f"/catalog/{parsed.namespace}/{parsed.kind}/{parsed.name}"


def readable_accounts(inventory: Inventory) -> list[dict[str, Any]]:
    """The accounts the caller may read in the catalog, as the last scan left them."""
    rows = store.load_accounts(inventory.context.database)
    namespace = inventory.settings.namespace
    refs = {key: f"resource:{namespace}/{account_name(row.name, row.account_id)}" for key, row in rows.items()}
    visible = inventory.context.caller_catalog.entities(list(refs.values()))
    shown = []
    for key, row in rows.items():
        entity = visible.get(refs[key].lower()) or visible.get(refs[key])
        if entity is None:  # not the caller's to see (and the Terraform-only group is no account)
            continue
        owner = row.owner or ""
        shown.append(
            {
                "key": key,
                "accountId": row.account_id,
                "name": row.name,
                "email": row.email,
                "unit": row.ou_path,
                "owner": owner,
                "ownerHref": _entity_href(owner) if owner else "",
                "ownerRule": row.owner_rule,
                "status": row.status,
                "error": row.error,
                "counts": {kind: count for kind, count in row.counts.items() if kind != CLOUD_ACCOUNT},
                "resources": sum(count for kind, count in row.counts.items() if kind != CLOUD_ACCOUNT),
                "unowned": row.unowned,
                "unmanaged": row.unmanaged,
                "scannedAt": _when(row.scanned_at),
                "changedAt": _when(row.changed_at),
                "seconds": row.seconds,
                "href": _entity_href(refs[key]) if entity is not None else "",
            }
        )
    return sorted(shown, key=lambda account: (account["unit"], account["name"]))


def tree(accounts: Sequence[Mapping[str, Any]], units: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Units from the root down, each with its accounts and child units, and totals for its whole branch."""
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_path = {}
    for unit in units:
        node = {"name": unit["name"], "path": unit["path"], "accounts": [], "units": []}
        by_path[unit["path"]] = node
    for path, node in sorted(by_path.items()):
        parent = path.rpartition("/")[0]
        children[parent].append(node)
    root: dict[str, Any] = {"name": "Organisation root", "path": "", "accounts": [], "units": children[""]}
    for node in by_path.values():
        node["units"] = children[node["path"]]
    for account in accounts:
        by_path.get(account["unit"], root)["accounts"].append(account)

    def totals(node: dict[str, Any]) -> tuple[int, int, int]:
        sums = [
            len(node["accounts"]),
            sum(a["resources"] for a in node["accounts"]),
            sum(a["unowned"] for a in node["accounts"]),
        ]
        for child in node["units"]:
            for index, value in enumerate(totals(child)):
                sums[index] += value
        node["totalAccounts"], node["totalResources"], node["totalUnowned"] = sums
        return sums[0], sums[1], sums[2]

    totals(root)
    return [root]


def api_router(inventory: Inventory) -> APIRouter:
    router = APIRouter()

    @router.get("/accounts")
    def accounts() -> dict[str, Any]:
        """Every account the caller may read: unit, owner (or why none), resource counts, last scan and error."""
        require()
        return {"items": readable_accounts(inventory)}

    @router.get("/scans")
    def scans() -> dict[str, Any]:
        """The last scans: when, how long, API calls by operation, what they wrote, and their errors."""
        require()
        return {"items": store.recent_scans(inventory.context.database, 20)}

    return router


def pages_router(inventory: Inventory) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        require()
        accounts = readable_accounts(inventory)
        terraform_only = _readable_entities(
            inventory, store.entities_of(inventory.context.database, [TERRAFORM_ONLY]).get(TERRAFORM_ONLY, [])
        )
        scans = store.recent_scans(inventory.context.database, 1)
        last = scans[0] if scans else None
        unowned = inventory.context.caller_catalog.find(
            {"kind": "resource", f"metadata.labels.{UNOWNED}": "true"}, limit=200
        )
        totals: dict[str, int] = defaultdict(int)
        for account in accounts:
            for kind, count in account["counts"].items():
                totals[kind] += count
        return inventory.context.render(
            request,
            "index.html",
            tree=tree(accounts, store.org_units(inventory.context.database)),
            accounts=accounts,
            kinds=KINDS,
            totals=dict(totals),
            unowned=[
                {
                    "title": entity["metadata"].get("title") or entity["metadata"]["name"],
                    "type": entity["spec"].get("type"),
                    "href": _entity_href(EntityRef.of(dict(entity)).key),
                    "reason": (entity["metadata"].get("annotations") or {}).get("callboard.dev/unowned-reason", ""),
                }
                for entity in unowned
            ],
            failing=[a for a in accounts if a["status"] in ("failing", "left")],
            unmanaged=sum(a["unmanaged"] for a in accounts),
            last=last,
            last_at=_when(last["finished_at"]) if last else "never",
            terraform=bool(inventory.settings.terraform),
            every_minutes=inventory.settings.every_minutes,
            terraform_only=[
                {
                    "title": entity["metadata"].get("title") or entity["metadata"]["name"],
                    "href": _entity_href(EntityRef.of(dict(entity)).key),
                    "address": entity["metadata"]["annotations"].get("terraform.io/address", ""),
                    "state": entity["metadata"]["annotations"].get("terraform.io/state", ""),
                    "note": entity["metadata"]["annotations"].get("callboard.dev/not-found", "in no scanned account"),
                }
                for entity in terraform_only
            ],
        )

    return router


def _readable_entities(inventory: Inventory, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    refs = [EntityRef.of(entity).key for entity in entities]
    visible = inventory.context.caller_catalog.entities(refs)
    return [entity for entity, ref in zip(entities, refs, strict=True) if ref in visible]


def is_account(entity: Mapping[str, Any]) -> bool:
    return str(entity.get("kind", "")).lower() == "resource" and (entity.get("spec") or {}).get("type") == CLOUD_ACCOUNT


def account_card(inventory: Inventory | None, context: EntityContext) -> Mapping[str, Any]:
    if inventory is None:
        return {"groups": []}
    account_id = (context.entity["metadata"].get("annotations") or {}).get(ACCOUNT_ID, "")
    found = context.catalog.find({"kind": "resource", f"metadata.annotations.{ACCOUNT_ID}": account_id}, limit=1000)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entity in found:
        spec_type = entity["spec"].get("type")
        if spec_type == CLOUD_ACCOUNT:
            continue
        annotations = entity["metadata"].get("annotations") or {}
        groups[str(spec_type)].append(
            {
                "title": entity["metadata"].get("title") or entity["metadata"]["name"],
                "href": _entity_href(EntityRef.of(dict(entity)).key),
                "region": annotations.get("aws.amazon.com/region", ""),
                "detail": annotations.get("aws.amazon.com/version") or annotations.get("aws.amazon.com/engine") or "",
                "status": annotations.get("aws.amazon.com/status", ""),
                "unmanaged": (entity["metadata"].get("labels") or {}).get("callboard.dev/iac") == "unmanaged",
            }
        )
    row = store.load_accounts(inventory.context.database, account_id).get(account_id)
    return {
        "groups": [
            (words, sorted(groups[kind], key=lambda item: item["title"])) for kind, words in KINDS if groups.get(kind)
        ],
        "scanned": _when(row.scanned_at) if row else "never",
        "status": row.status if row else "",
        "error": row.error if row else None,
        "truncated": len(found) >= 1000,
    }


def runs_on_clusters(inventory: Inventory | None, entity: Mapping[str, Any]) -> bool:
    if inventory is None or str(entity.get("kind", "")).lower() != "component":
        return False
    names = store.clusters_running(inventory.context.database, EntityRef.of(dict(entity)).key)
    if not names:
        return False
    # One query: does any of them name a cluster of the inventory?
    return inventory.context.catalog.count(_clusters_named(names)) > 0


def _clusters_named(names: list[str]) -> dict[str, str | list[str]]:
    """The inventory's clusters by their EKS names (an entity's name gets a hash when two clusters share one)."""
    return {"kind": "resource", "spec.type": CLUSTER, f"metadata.annotations.{CLUSTER_NAME}": names}


def clusters_card(inventory: Inventory | None, context: EntityContext) -> Mapping[str, Any]:
    if inventory is None:
        return {"clusters": []}
    names = store.clusters_running(inventory.context.database, context.ref)
    by_name = {
        entity["metadata"]["annotations"][CLUSTER_NAME]: entity
        for entity in context.catalog.find(_clusters_named(names), limit=len(names))
    }
    clusters = []
    elsewhere = [name for name in names if name not in by_name]
    for name in [name for name in names if name in by_name]:
        cluster = by_name[name]
        annotations = cluster["metadata"].get("annotations") or {}
        clusters.append(
            {
                "name": name,
                "href": _entity_href(EntityRef.of(dict(cluster)).key),
                "version": annotations.get("aws.amazon.com/version", ""),
                "status": annotations.get("aws.amazon.com/status", ""),
                "region": annotations.get("aws.amazon.com/region", ""),
                "account": annotations.get(ACCOUNT_ID, ""),
                "environment": (cluster["metadata"].get("labels") or {}).get("callboard.dev/environment", ""),
            }
        )
    return {"clusters": clusters, "elsewhere": elsewhere}
