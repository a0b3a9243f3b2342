"""Catalog entities from what a scan found: accounts and resources, each field traced to its API call or tag.

The same input gives the same entity, byte for byte (no scan times inside), so an unchanged account gives
nothing to write.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from callboard.sdk import entity_name
from callboard_aws.model import Account, Found
from callboard_aws.settings import Settings
from callboard_aws.terraform import Managed
from callboard_aws.types import BY_ID

ACCOUNT_ID = "aws.amazon.com/account-id"
REGION = "aws.amazon.com/region"
ARN = "aws.amazon.com/arn"
EMAIL = "aws.amazon.com/account-email"
OU_PATH = "aws.amazon.com/organizational-unit"
OU_ID = "aws.amazon.com/organizational-unit-id"
RESOURCE_TYPE = "aws.amazon.com/resource-type"
PROVENANCE = "callboard.dev/provenance"
UNOWNED = "callboard.dev/unowned"
UNOWNED_REASON = "callboard.dev/unowned-reason"
IAC = "callboard.dev/iac"
ORPHAN_REASON = "callboard.dev/orphan-reason"
CLOUD_ACCOUNT = "cloud-account"
CLUSTER = "kubernetes-cluster"
#: The EKS cluster's own name (Backstage's annotation for it), which Deployments knows it by.
CLUSTER_NAME = "kubernetes.io/x-k8s-aws-id"
#: Facts written under Backstage's Kubernetes annotations (what its Kubernetes plugin reads), the rest as
#: ``aws.amazon.com/<fact>``.
FACT_ANNOTATIONS = {
    "endpoint": "kubernetes.io/api-server",
    "certificate": "kubernetes.io/api-server-certificate-authority",
}


@dataclass(frozen=True)
class Owner:
    ref: str | None
    #: Which tag (or rule) decided it, for provenance, or why nothing did.
    rule: str
    call: str


class OwnerResolver:
    """Tag value -> group, through the ``owners`` table first, then a Group of that name in the catalog."""

    def __init__(self, settings: Settings, group_exists: Callable[[str], bool]) -> None:
        self.settings = settings
        self._group_exists = group_exists
        self._known: dict[str, bool] = {}

    def resolve(self, tags: Mapping[str, str], call: str) -> Owner:
        reasons = []
        for tag in self.settings.owner_tags:
            value = tags.get(tag, "").strip()
            if not value:
                continue
            mapped = self.settings.owners.get(value)
            if mapped is not None:
                return Owner(_group_ref(mapped, self.settings.namespace), f"tag {tag}={value}, mapped in owners", call)
            ref = _group_ref(value, self.settings.namespace) if _NAME.fullmatch(value.split("/")[-1]) else None
            if ref is not None and self._exists(ref):
                return Owner(ref, f"tag {tag}={value}, a group in the catalog", call)
            reasons.append(f"tag {tag}={value} names no group (add it to plugins.aws.owners)")
        tried = ", ".join(self.settings.owner_tags)
        return Owner(None, "; ".join(reasons) or f"no owner tag ({tried})", call)

    def _exists(self, ref: str) -> bool:
        if ref not in self._known:
            self._known[ref] = self._group_exists(ref)
        return self._known[ref]


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def _group_ref(value: str, namespace: str) -> str:
    value = value.removeprefix("group:")
    return f"group:{value}" if "/" in value else f"group:{namespace}/{value}"


def account_name(name: str, account_id: str) -> str:
    return entity_name(f"{name}-{account_id}") if name else f"aws-{account_id}"


def hashed_name(name: str, arn: str) -> str:
    """A name made unique by a short hash of the ARN: the same name recurs across accounts and regions."""
    return f"{entity_name(name)[:54].rstrip('-')}-{hashlib.sha1(arn.encode()).hexdigest()[:8]}"


def resource_name(found: Found) -> str:
    """Clusters keep their own name (Deployments knows a cluster by it; two of one name get hashed names
    instead, see ``inventory``); other resources always get the hash."""
    return entity_name(found.name) if found.spec_type == CLUSTER else hashed_name(found.name, found.arn)


class Builder:
    def __init__(self, settings: Settings, owners: OwnerResolver) -> None:
        self.settings = settings
        self.owners = owners

    def account(self, account: Account, partition_of_org: str) -> tuple[dict[str, Any], Owner]:
        call = "organizations:ListAccountsForParent"
        tags_call = "organizations:ListTagsForResource"
        owner = self.owners.resolve(account.tags, tags_call)
        fields: dict[str, dict[str, Any]] = {}
        annotations = {
            ACCOUNT_ID: account.id,
            ARN: account.arn,
            EMAIL: account.email,
            OU_PATH: "/".join(account.ou_path) or "(root)",
            OU_ID: account.ou_ids[-1] if account.ou_ids else partition_of_org,
            "aws.amazon.com/account-status": account.status,
        }
        for key, value in annotations.items():
            rule = "walked from the root" if key in (OU_PATH, OU_ID) else key.rsplit("/", 1)[-1]
            source = "organizations:ListOrganizationalUnitsForParent" if key in (OU_PATH, OU_ID) else call
            fields[f"metadata.annotations.{key}"] = _field(value, source, rule)
        fields["metadata.title"] = _field(account.name, call, "Name")
        entity = self._entity(
            account_name(account.name, account.id),
            f"{account.name} ({account.id})",
            f"AWS account in {annotations[OU_PATH]}",
            CLOUD_ACCOUNT,
            annotations,
            owner,
            fields,
            labels={RESOURCE_TYPE: "account"},
        )
        return _with_provenance(entity, fields, {"account": account.id, "summary": f"AWS account {account.id}"}), owner

    def resource(
        self, found: Found, account: Account, account_owner: Owner, managed: Mapping[str, str] | None, iac: bool
    ) -> dict[str, Any]:
        kind = BY_ID[found.type_id]
        tags = found.tags or {}
        tags_call = found.tags_call or "tag:GetResources"
        owner = self.owners.resolve(tags, tags_call)
        if owner.ref is None and account_owner.ref is not None:
            owner = Owner(
                account_owner.ref, f"no owner tag of its own: its account's ({account_owner.rule})", account_owner.call
            )
        annotations: dict[str, str] = {ACCOUNT_ID: account.id, REGION: found.region, ARN: found.arn}
        fields = {
            f"metadata.annotations.{ACCOUNT_ID}": _field(account.id, "sts:AssumeRole", "the account scanned"),
            f"metadata.annotations.{REGION}": _field(found.region, kind.region_by or kind.listed_by, "the region read"),
            f"metadata.annotations.{ARN}": _field(found.arn, kind.listed_by, "ARN (or built from the name)"),
        }
        for key, fact in found.facts.items():
            if fact.value in ("", None):
                continue
            annotation = FACT_ANNOTATIONS.get(key, f"aws.amazon.com/{key.replace('_', '-')}")
            annotations[annotation] = str(fact.value)
            fields[f"metadata.annotations.{annotation}"] = _field(str(fact.value), fact.call, fact.field)
        labels = {RESOURCE_TYPE: found.type_id}
        environment = _first_tag(tags, self.settings.environment_tags)
        if environment is not None:
            labels["callboard.dev/environment"] = entity_name(environment[1])
            fields["metadata.labels.callboard.dev/environment"] = _field(
                environment[1], tags_call, f"tag {environment[0]}"
            )
        if found.spec_type == CLUSTER:
            labels["callboard.dev/market"] = found.region
            annotations.update({"kubernetes.io/auth-provider": "aws", CLUSTER_NAME: found.name})
        if iac:  # only when state files are configured: otherwise everything would be "unmanaged"
            labels[IAC] = "terraform" if managed else "unmanaged"
            fields[f"metadata.labels.{IAC}"] = _field(labels[IAC], "terraform state", "ARN in a state file's resources")
        for key, value in (managed or {}).items():
            annotations[key] = value
            fields[f"metadata.annotations.{key}"] = _field(value, _state_call(managed or {}), "terraform state v4")
        spec_extra: dict[str, Any] = {}
        component = self._component(found, tags)
        if component is not None:
            spec_extra["dependencyOf"] = [f"component:{self.settings.namespace}/{component[0]}"]
            fields["spec.dependencyOf"] = _field(
                spec_extra["dependencyOf"], tags_call if component[1].startswith("tag") else "naming rule", component[1]
            )
        system = _first_tag(tags, self.settings.system_tags)
        entity = self._entity(
            resource_name(found),
            found.name,
            f"{_describe(found)} in {account.name or account.id} ({account.id}), {found.region}",
            found.spec_type,
            annotations,
            owner,
            fields,
            labels=labels,
        )
        if system is not None:
            entity["spec"]["system"] = f"system:{self.settings.namespace}/{entity_name(system[1])}"
            fields["spec.system"] = _field(entity["spec"]["system"], tags_call, f"tag {system[0]}")
        entity["spec"].update(spec_extra)
        return _with_provenance(
            entity, fields, {"account": account.id, "region": found.region, "summary": f"{found.type_id} {found.arn}"}
        )

    def terraform_only(self, item: Managed, account_id: str, owner: Owner, *, scanned: bool) -> dict[str, Any]:
        """A resource a Terraform state manages that no scan found (in an account not scanned, or gone)."""
        found = Found(item.type_id, BY_ID[item.type_id].spec_type, item.arn, item.name, _region(item.arn))
        annotations = {ACCOUNT_ID: account_id, REGION: found.region, ARN: item.arn, **item.annotations()}
        if scanned:
            annotations["callboard.dev/not-found"] = (
                f"Terraform manages it, but the last scan of {account_id} did not find it"
            )
        call = _state_call(item.annotations())
        fields = {
            f"metadata.annotations.{key}": _field(value, call, "terraform state v4")
            for key, value in annotations.items()
        }
        labels = {RESOURCE_TYPE: item.type_id, IAC: "terraform"}
        entity = self._entity(
            resource_name(found),
            item.name,
            f"{_describe(found)} managed by Terraform at {item.address} ({item.workspace})",
            found.spec_type,
            annotations,
            owner,
            fields,
            labels=labels,
        )
        return _with_provenance(entity, fields, {"account": account_id, "summary": f"terraform {item.state}"})

    def _component(self, found: Found, tags: Mapping[str, str]) -> tuple[str, str] | None:
        tagged = _first_tag(tags, self.settings.component_tags)
        if tagged is not None:
            return entity_name(tagged[1]), f"tag {tagged[0]}={tagged[1]}"
        for rule in self.settings.naming_rules:
            if rule.types and found.spec_type not in rule.types and found.type_id not in rule.types:
                continue
            match = re.fullmatch(rule.pattern, found.name)
            if match and match.group("component"):
                return entity_name(match.group("component")), f"naming rule {rule.pattern}"
        return None

    def _entity(
        self,
        name: str,
        title: str,
        description: str,
        spec_type: str,
        annotations: dict[str, str],
        owner: Owner,
        fields: dict[str, dict[str, Any]],
        labels: dict[str, str],
    ) -> dict[str, Any]:
        if owner.ref is None:
            labels[UNOWNED] = "true"
            annotations[UNOWNED_REASON] = owner.rule
        fields["spec.owner"] = _field(owner.ref or self.settings.unowned_group, owner.call, owner.rule)
        return {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Resource",
            "metadata": {
                "name": name,
                "namespace": self.settings.namespace,
                "title": title,
                "description": description,
                "labels": labels,
                "annotations": annotations,
                "tags": ["aws"],
            },
            "spec": {"type": spec_type, "owner": owner.ref or self.settings.unowned_group},
        }


def _state_call(annotations: Mapping[str, str]) -> str:
    return "s3:GetObject" if annotations.get("terraform.io/state", "").startswith("s3://") else "read file"


def _region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _describe(found: Found) -> str:
    kind = BY_ID.get(found.type_id)
    return kind.noun if kind else found.type_id


def _first_tag(tags: Mapping[str, str], keys: list[str]) -> tuple[str, str] | None:
    for key in keys:
        value = tags.get(key, "").strip()
        if value:
            return key, value
    return None


def _field(value: Any, call: str, rule: str) -> dict[str, Any]:
    return {"value": value, "source": call, "rule": rule, "confidence": 1.0, "by": "aws"}


def _with_provenance(
    entity: dict[str, Any], fields: dict[str, dict[str, Any]], about: dict[str, str]
) -> dict[str, Any]:
    provenance = {"source": "aws", **about, "fields": dict(sorted(fields.items())), "conflicts": []}
    entity["metadata"]["annotations"][PROVENANCE] = json.dumps(provenance, sort_keys=True, separators=(",", ":"))
    return entity


def fingerprint(entities: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(entities, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def with_orphan_reason(entity: Mapping[str, Any], reason: str) -> dict[str, Any]:
    changed: dict[str, Any] = json.loads(json.dumps(entity))
    changed["metadata"]["annotations"][ORPHAN_REASON] = reason
    return changed
