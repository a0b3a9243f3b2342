from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from callboard.sdk.testing import Portal
from tests.conftest import SCAN


def _entities(client: httpx.Client, **filters: str) -> list[dict[str, Any]]:
    query = [("filter", ",".join(f"{k}={v}" for k, v in filters.items()))]
    response = client.get("/api/catalog/entities", params=query)
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found


def test_accounts_clusters_and_resources_land_in_the_catalog_with_owners(
    portal: Portal, client: httpx.Client, cloud: dict[str, str]
) -> None:
    portal.process_catalog()
    assert portal.run_task(SCAN) == "succeeded"
    portal.process_catalog()
    accounts = _entities(client, kind="resource", **{"spec.type": "cloud-account"})
    by_name = {entity["metadata"]["title"].split(" (")[0]: entity for entity in accounts}
    billing = by_name["billing-prod"]
    annotations = billing["metadata"]["annotations"]
    assert annotations["aws.amazon.com/account-id"] == cloud["billing-prod"]
    assert annotations["aws.amazon.com/organizational-unit"] == "Workloads/Production"
    assert annotations["aws.amazon.com/account-email"] == "billing-prod@aws.northwind.example"
    assert billing["spec"]["owner"] == "group:default/billing-team"
    # No owner tag that resolves: labelled and said why, not silently someone's.
    audit = by_name["security-audit"]
    assert audit["metadata"]["labels"]["callboard.dev/unowned"] == "true"
    assert "no owner tag" in audit["metadata"]["annotations"]["callboard.dev/unowned-reason"]
    sandbox = by_name["sandbox-jdoe"]
    assert "team=data-science names no group" in sandbox["metadata"]["annotations"]["callboard.dev/unowned-reason"]

    clusters = {
        e["metadata"]["name"]: e for e in _entities(client, kind="resource", **{"spec.type": "kubernetes-cluster"})
    }
    assert set(clusters) == {f"{p}-{r}" for p in ("prod", "stg", "dev") for r in ("eu-west-1", "us-east-1")}
    prod = clusters["prod-eu-west-1"]
    assert prod["metadata"]["annotations"]["aws.amazon.com/version"] == "1.31"
    assert prod["metadata"]["annotations"]["aws.amazon.com/region"] == "eu-west-1"
    assert prod["metadata"]["annotations"]["aws.amazon.com/account-id"] == cloud["platform-prod"]
    assert "m6i.large x3" in prod["metadata"]["annotations"]["aws.amazon.com/nodegroups"]
    assert prod["metadata"]["annotations"]["kubernetes.io/api-server"].startswith("https://")
    assert prod["metadata"]["labels"]["callboard.dev/environment"] == "production"
    assert prod["spec"]["owner"] == "group:default/platform-team"

    database = _entities(client, kind="resource", **{"metadata.title": "invoice-db"})[0]
    assert database["spec"]["type"] == "database"
    assert database["spec"]["dependencyOf"] == ["component:default/invoice-service"]
    assert database["spec"]["system"] == "system:default/invoicing"
    assert database["metadata"]["annotations"]["aws.amazon.com/engine"] == "postgres 16.3"
    assert database["metadata"]["annotations"]["terraform.io/address"] == "module.invoicing.aws_db_instance.invoices"
    assert database["metadata"]["labels"]["callboard.dev/iac"] == "terraform"
    provenance = json.loads(database["metadata"]["annotations"]["callboard.dev/provenance"])
    assert provenance["fields"]["spec.dependencyOf"]["source"] == "rds:DescribeDBInstances"
    assert provenance["fields"]["spec.dependencyOf"]["rule"] == "tag backstage.io/component=invoice-service"
    assert provenance["fields"]["metadata.annotations.aws.amazon.com/engine"]["source"] == "rds:DescribeDBInstances"
    assert provenance["fields"]["spec.owner"]["rule"].startswith("no owner tag of its own: its account's")

    service = client.get("/api/catalog/entities/by-name/component/default/invoice-service").json()
    dependencies = {r["targetRef"] for r in service["relations"] if r["type"] == "dependsOn"}
    assert database["metadata"]["name"] in {ref.rsplit("/", 1)[-1] for ref in dependencies}

    # A queue no tag names is linked by the naming rule, and says so.
    queue = _entities(client, kind="resource", **{"metadata.title": "booking-service-prod"})[0]
    assert queue["spec"]["dependencyOf"] == ["component:default/booking-service"]
    rule = json.loads(queue["metadata"]["annotations"]["callboard.dev/provenance"])["fields"]["spec.dependencyOf"]
    assert rule["source"] == "naming rule" and "component" in rule["rule"]
    # Tags from the tagging API, for types whose list call does not give them.
    table = _entities(client, kind="resource", **{"metadata.title": "payments-ledger"})[0]
    assert table["spec"]["dependencyOf"] == ["component:default/payment-service"]
    assert (
        json.loads(table["metadata"]["annotations"]["callboard.dev/provenance"])["fields"]["spec.dependencyOf"][
            "source"
        ]
        == "tag:GetResources"
    )
    # Found in AWS, in no state file: unmanaged. In a state file, gone from AWS: there, and said so.
    legacy = _entities(client, kind="resource", **{"metadata.title": "legacy-export"})[0]
    assert legacy["metadata"]["labels"]["callboard.dev/iac"] == "unmanaged"
    gone = _entities(client, kind="resource", **{"metadata.title": "invoice-events-legacy"})[0]
    assert "did not find it" in gone["metadata"]["annotations"]["callboard.dev/not-found"]
    types = {e["spec"]["type"] for e in _entities(client, kind="resource")}
    assert {
        "cloud-account",
        "kubernetes-cluster",
        "database",
        "bucket",
        "queue",
        "topic",
        "function",
        "container-registry",
    } <= types


def test_a_second_scan_of_an_unchanged_organisation_writes_nothing(
    portal: Portal, client: httpx.Client, cloud: dict[str, str]
) -> None:
    assert portal.run_task(SCAN) == "succeeded"
    first = client.get("/api/aws/scans").json()["items"][0]
    assert first["written"] >= 30 and first["errors"] == []
    assert portal.run_task(SCAN) == "succeeded"
    second = client.get("/api/aws/scans").json()["items"][0]
    assert (second["written"], second["removed"]) == (0, 0)
    assert second["calls"] > 0 and "eks:DescribeCluster" in second["calls_by_operation"]


#: S3 operations whose IAM action has another name.
IAM_ACTIONS = {"s3:ListBuckets": "s3:ListAllMyBuckets", "s3:ListObjectsV2": "s3:ListBucket"}
GUIDE = Path(__file__).resolve().parents[3] / "docs" / "plugins" / "aws.md"


def test_every_call_a_scan_makes_is_in_the_documented_iam_policy(
    portal: Portal, client: httpx.Client, cloud: dict[str, str]
) -> None:
    policies = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", GUIDE.read_text("utf-8"), re.DOTALL)]
    allowed = set()
    for policy in policies:
        for statement in policy["Statement"]:
            actions = statement["Action"]
            allowed |= {actions} if isinstance(actions, str) else set(actions)
    assert portal.run_task(SCAN) == "succeeded"
    made = client.get("/api/aws/scans").json()["items"][0]["calls_by_operation"]
    assert {IAM_ACTIONS.get(call, call) for call in made} <= allowed
    # And nothing is allowed that no scan calls (bucket tags: only for buckets in regions not scanned).
    assert allowed - {IAM_ACTIONS.get(call, call) for call in made} <= {"s3:GetBucketTagging"}
