"""What a scan does when the organisation changes: new and deleted resources, a failing service, an account
that leaves, a state file Terraform no longer reads."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from callboard.sdk.testing import Portal
from callboard_aws import demo
from callboard_aws.standins.moto import Seeder
from tests.conftest import SCAN


def _last_scan(client: httpx.Client) -> dict[str, Any]:
    scan: dict[str, Any] = client.get("/api/aws/scans").json()["items"][0]
    return scan


def _titled(client: httpx.Client, title: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get(
        "/api/catalog/entities", params={"filter": f"kind=resource,metadata.title={title}"}
    ).json()
    return found


def test_only_what_changed_is_written(
    portal: Portal, client: httpx.Client, cloud: dict[str, str], seeder: Seeder
) -> None:
    assert portal.run_task(SCAN) == "succeeded"
    seeder.queue(cloud["customer-prod"], "eu-west-1", "profile-updates", {"backstage.io/component": "customer-service"})
    assert portal.run_task(SCAN) == "succeeded"
    assert (_last_scan(client)["written"], _last_scan(client)["removed"]) == (1, 0)
    portal.process_catalog()
    assert _titled(client, "profile-updates")[0]["spec"]["owner"] == "group:default/customer-team"

    seeder.client(cloud["customer-prod"], "sqs", "eu-west-1").delete_queue(
        QueueUrl=seeder.client(cloud["customer-prod"], "sqs", "eu-west-1").get_queue_url(QueueName="profile-updates")[
            "QueueUrl"
        ]
    )
    assert portal.run_task(SCAN) == "succeeded"
    assert (_last_scan(client)["written"], _last_scan(client)["removed"]) == (0, 1)
    portal.process_catalog()
    assert _titled(client, "profile-updates") == []


@pytest.mark.aws(maxAttempts=1)
def test_a_failing_account_keeps_its_entities_and_says_why(
    portal: Portal, client: httpx.Client, cloud: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert portal.run_task(SCAN) == "succeeded"
    portal.process_catalog()
    before = len(client.get("/api/catalog/entities", params={"filter": "kind=resource"}).json())
    # RDS stops answering (nothing listens there): every account's read fails on it.
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS", "http://127.0.0.1:9")
    assert portal.run_task(SCAN) == "succeeded"
    scan = _last_scan(client)
    assert (scan["written"], scan["removed"]) == (0, 0)
    assert scan["failed"] >= 9
    assert any("127.0.0.1:9" in error or "Could not connect" in error for error in scan["errors"])
    portal.process_catalog()
    assert len(client.get("/api/catalog/entities", params={"filter": "kind=resource"}).json()) == before
    accounts = {a["name"]: a for a in client.get("/api/aws/accounts").json()["items"]}
    assert accounts["billing-prod"]["status"] == "failing"
    assert "Could not connect" in accounts["billing-prod"]["error"]
    page = client.get("/aws/")
    assert page.status_code == 200 and "failing" in page.text and "Could not connect" in page.text


def test_an_account_that_leaves_the_organisation_is_orphaned_with_the_reason(
    portal: Portal, client: httpx.Client, cloud: dict[str, str], seeder: Seeder
) -> None:
    assert portal.run_task(SCAN) == "succeeded"
    seeder.management("organizations").remove_account_from_organization(AccountId=cloud["customer-prod"])
    assert portal.run_task(SCAN) == "succeeded"
    portal.process_catalog()
    gone = _titled(client, "customer-preferences")[0]
    annotations = gone["metadata"]["annotations"]
    assert annotations["backstage.io/orphan"] == "true"
    assert annotations["callboard.dev/orphan-reason"].endswith("is no longer in the organisation")
    assert portal.run_task(SCAN) == "succeeded"
    assert _last_scan(client)["written"] == 0


def test_a_state_file_of_another_format_is_reported_by_name(
    portal: Portal, client: httpx.Client, cloud: dict[str, str], seeder: Seeder
) -> None:
    s3 = seeder.management("s3")
    s3.put_object(Bucket=demo.STATE_BUCKET, Key="old/terraform.tfstate", Body=json.dumps({"version": 3}).encode())
    s3.put_object(Bucket=demo.STATE_BUCKET, Key="env:/staging/broken.tfstate", Body=b'{"version": 4,\n "resources": [')
    assert portal.run_task(SCAN) == "succeeded"
    errors = _last_scan(client)["errors"]
    assert any(f"s3://{demo.STATE_BUCKET}/old/terraform.tfstate: state format version 3" in e for e in errors)
    assert any(f"s3://{demo.STATE_BUCKET}/env:/staging/broken.tfstate: not JSON (line 2" in e for e in errors)
    portal.process_catalog()
    # The good state file still counts.
    assert _titled(client, "invoice-db")[0]["metadata"]["labels"]["callboard.dev/iac"] == "terraform"
