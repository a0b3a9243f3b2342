"""``callboard aws scan`` as a user runs it, the Accounts page, and the cards on entity pages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from callboard.sdk.testing import Portal
from callboard_aws import demo
from callboard_aws.standins.moto import MotoServer
from tests.conftest import CATALOG, SCAN

CALLBOARD = Path(sys.executable).with_name("callboard")


def _config(tmp_path: Path) -> Path:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    config = {
        "backend": {"database": {"client": "better-sqlite3", "connection": str(tmp_path / "portal.sqlite")}},
        "catalog": {"locations": [{"type": "file", "target": str(catalog)}]},
        "dataDir": str(tmp_path / "data"),
        "plugins": {"aws": {"regions": list(demo.REGIONS), "owners": dict(demo.OWNERS)}},
    }
    path = tmp_path / "app-config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _scan(moto_server: MotoServer, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **moto_server.environment(), "COLUMNS": "160"}
    return subprocess.run(
        [str(CALLBOARD), "aws", "scan", "-c", str(config), *extra],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def test_a_dry_run_prints_the_entities_as_yaml_and_writes_nothing(
    tmp_path: Path, moto_server: MotoServer, cloud: dict[str, str]
) -> None:
    config = _config(tmp_path)
    dry = _scan(moto_server, config, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    documents = list(yaml.safe_load_all(dry.stdout))
    assert {d["spec"]["type"] for d in documents} >= {"cloud-account", "kubernetes-cluster", "database", "queue"}
    assert all(d["kind"] == "Resource" for d in documents)
    assert "AWS inventory" in dry.stderr and "would write" in dry.stderr
    assert "billing-prod" in dry.stderr  # the summary table names each account
    real = _scan(moto_server, config)
    assert real.returncode == 0, real.stderr
    assert f"wrote {len(documents)}," in real.stderr
    again = _scan(moto_server, config)
    assert "wrote 0, removed 0" in again.stderr


def test_the_accounts_page_shows_the_unit_tree_owners_and_what_is_unowned(
    portal: Portal, client: httpx.Client, cloud: dict[str, str]
) -> None:
    portal.process_catalog()
    before = client.get("/aws/").text
    assert "No scan has finished yet" in before and "callboard aws scan" in before
    assert portal.run_task(SCAN) == "succeeded"
    portal.process_catalog()
    page = client.get("/aws/")
    assert page.status_code == 200
    text = page.text
    assert "No scan has finished yet" not in text
    for unit in ("Infrastructure", "Workloads", "Production", "Non-production", "Sandbox"):
        assert f'<span class="unit-name">{unit}</span>' in text
    assert "billing-team" in text and "security-audit" in text
    assert "no owner tag" in text and "team=data-science names no group" in text
    assert "<strong>6</strong> clusters" in text
    assert "In Terraform, not found in AWS" in text and "module.invoicing.aws_sqs_queue.old_invoices" in text
    accounts = client.get("/api/aws/accounts").json()["items"]
    billing = next(a for a in accounts if a["name"] == "billing-prod")
    assert billing["unit"] == "Workloads/Production" and billing["owner"] == "group:default/billing-team"
    assert billing["counts"]["database"] == 2 and billing["unmanaged"] >= 1


def test_an_account_page_lists_its_clusters_and_resources(
    portal: Portal, client: httpx.Client, cloud: dict[str, str]
) -> None:
    assert portal.run_task(SCAN) == "succeeded"
    portal.process_catalog()
    account = next(a for a in client.get("/api/aws/accounts").json()["items"] if a["name"] == "platform-prod")
    page = client.get(account["href"])
    assert page.status_code == 200
    assert "In this account" in page.text and "prod-eu-west-1" in page.text and "prod-us-east-1" in page.text


def test_a_component_shows_the_clusters_it_runs_on(portal: Portal, client: httpx.Client, cloud: dict[str, str]) -> None:
    portal.process_catalog()
    assert portal.run_task(SCAN) == "succeeded"
    portal.process_catalog()
    # What the Deployments plugin publishes when it sees a workload: each place's whole list.
    running = {
        "prod-eu-west-1": ["component:default/invoice-service"],
        "stg-eu-west-1": ["component:default/invoice-service"],
    }
    portal.runtime.events.publish(
        "deployments.changed", {"places": list(running), "entityRefs": [], "running": running}
    )
    page = client.get("/catalog/default/component/invoice-service")
    assert page.status_code == 200
    assert "Runs on" in page.text and "EKS 1.31" in page.text and "stg-eu-west-1" in page.text
    portal.runtime.events.publish(
        "deployments.changed", {"places": ["prod-eu-west-1"], "entityRefs": [], "running": {"prod-eu-west-1": []}}
    )
    assert "EKS 1.31" not in client.get("/catalog/default/component/invoice-service").text


@pytest.mark.parametrize("path", ["/aws/", "/api/aws/accounts", "/api/aws/scans"])
def test_everything_needs_a_signed_in_caller(anonymous_client: httpx.Client, path: str) -> None:
    assert anonymous_client.get(path, headers={"Accept": "application/json"}).status_code == 401


def test_without_credentials_the_command_says_where_boto3_looks(tmp_path: Path) -> None:
    config = _config(tmp_path)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment |= {
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    done = subprocess.run(
        [str(CALLBOARD), "aws", "scan", "-c", str(config)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "could not read the organisation: NoCredentialsError" in done.stderr
    assert "~/.aws" in done.stderr and "Traceback" not in done.stderr
