"""Backfill: deployments and releases of the catalog's repositories pulled through the portal's GitHub
integration (a stand-in on loopback); ids match the webhooks', so a change seen both ways is stored once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.sdk.testing import Portal
from tests.conftest import GITHUB_SECRET
from tests.conftest import callboard_config as base_config
from tests.github_server import TOKEN, GitHubServer
from tests.support import at, load, send_github


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    deployment = load("github-deployment.json")["deployment"]
    release = load("github-release.json")["release"]
    server = GitHubServer({"Codertocat/Hello-World": [deployment]}, {"Codertocat/Hello-World": [release]})
    yield server
    server.close()


@pytest.fixture
def callboard_config(catalog_file: Path, github: GitHubServer) -> dict[str, Any]:
    config = base_config.__wrapped__(catalog_file)  # type: ignore[attr-defined]
    config["integrations"] = {"github": [{"host": "github.com", "apiBaseUrl": github.url, "token": TOKEN}]}
    config["changeEvents"]["github"]["backfill"] = True
    return config


def test_backfill_records_deployments_and_releases_once(
    portal: Portal, client: httpx.Client, github: GitHubServer
) -> None:
    portal.process_catalog()
    deployment = at(load("github-deployment.json"), portal.clock(), "deployment.created_at")
    assert send_github(portal.url, GITHUB_SECRET, "deployment", deployment).status_code == 201
    assert portal.run_task("change-events.github-backfill") == "succeeded"
    assert "/repos/Codertocat/Hello-World/deployments?per_page=100" in github.requests
    items = client.get("/api/change-events/events", params={"entity": "component:default/payments-api"}).json()
    assert sorted(item["type"] for item in items["items"]) == ["deployment", "release"]  # the deploy once
    assert portal.run_task("change-events.github-backfill") == "succeeded"  # again: nothing new
    again = client.get("/api/change-events/events", params={"entity": "component:default/payments-api"}).json()
    assert len(again["items"]) == 2
