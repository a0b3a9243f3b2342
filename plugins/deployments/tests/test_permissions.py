"""deployments.read is needed for every route, and what concerns an entity is shown only to callers who may read
that entity: the API, the matrix and the fleet page alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.sdk import Identity
from callboard.sdk.testing import Portal
from tests.conftest import callboard_config as base_config

PAYMENTS = "/api/deployments/entities/component/default/payments-api"
LEDGER = "/api/deployments/entities/component/default/ledger"


@pytest.fixture
def callboard_config(catalog_file: Path, kubernetes: Any) -> dict[str, Any]:
    config = base_config.__wrapped__(catalog_file, kubernetes)  # type: ignore[attr-defined]
    config["permission"] = {
        "enabled": True,
        "rules": [
            {"permission": "catalog.entity.read", "principals": ["service:*"]},
            {"permission": "catalog.entity.read", "principals": ["*"], "conditions": {"isEntityOwner": True}},
            {"permission": "deployments.read", "principals": ["user:default/outsider"], "decision": "deny"},
        ],
    }
    return config


@pytest.fixture
def identity() -> Identity:
    return Identity("user", "user:default/lena", ("user:default/lena", "group:default/ledger-team"), "Lena")


@pytest.fixture(autouse=True)
def watched(portal: Portal, kubernetes: Any) -> None:
    from callboard_deployments.standins.kubernetes import deployment

    kubernetes.clusters["prod-eu"].apply(
        "deployments",
        deployment(
            "ledger-api", "3.1.0", namespace="money", labels={"app.kubernetes.io/part-of": "ledger", "tier": "api"}
        ),
    )
    portal.process_catalog()
    assert portal.run_task("deployments.kubernetes") == "succeeded"


def test_an_entity_the_caller_cannot_read_is_not_found(client: httpx.Client) -> None:
    assert client.get(LEDGER).json()["items"][0]["name"] == "ledger-api"
    response = client.get(PAYMENTS)  # owned by payments, which Lena is not in
    assert response.status_code == 404 and "may not read" in response.json()["error"]["message"]
    assert client.get(f"{PAYMENTS}/history", params={"cluster": "prod-eu"}).status_code == 404


def test_the_matrix_and_cluster_lists_leave_out_what_the_caller_cannot_read(client: httpx.Client) -> None:
    matrix = client.get("/api/deployments/matrix").json()
    assert [row["entityRef"] for row in matrix["entities"]] == ["component:default/ledger"]
    named = client.get(
        "/api/deployments/matrix", params={"entity": ["component:default/payments-api", "ledger"]}
    ).json()
    assert [row["entityRef"] for row in named["entities"]] == ["component:default/ledger"]
    workloads = client.get("/api/deployments/clusters/prod-eu/workloads").json()["items"]
    assert {item["name"] for item in workloads} == {"ledger-api"}
    page = client.get("/deployments/")
    assert page.status_code == 200 and "ledger" in page.text and "payments-api" not in page.text


def test_deployments_read_is_needed(portal: Portal) -> None:
    outsider = Identity("user", "user:default/outsider", ("user:default/outsider", "group:default/ledger-team"), "Out")
    headers = {"Authorization": f"Bearer {portal.token_for(outsider)}"}
    with httpx.Client(base_url=portal.url, headers=headers) as http:
        for path in (LEDGER, "/api/deployments/matrix", "/api/deployments/clusters"):
            response = http.get(path)
            assert response.status_code == 403 and "deployments.read" in response.json()["error"]["message"]


def test_every_route_needs_a_signed_in_caller(anonymous_client: httpx.Client) -> None:
    for path in (LEDGER, "/api/deployments/matrix", "/api/deployments/clusters", "/deployments/"):
        assert anonymous_client.get(path).status_code == 401


def test_bad_input_gets_a_clear_error(client: httpx.Client) -> None:
    response = client.get("/api/deployments/matrix", params={"entity": "component:"})
    assert response.status_code == 400 and "entity" in response.json()["error"]["message"]
    assert client.get("/api/deployments/matrix", params={"limit": 0}).status_code == 400
    assert client.get("/deployments/fragment", params={"entity": "component:default/nope"}).status_code == 404


def test_a_cursor_beyond_any_row_id_is_refused(client: httpx.Client) -> None:
    response = client.get("/api/deployments/clusters/prod-eu/workloads", params={"after": 2**63})
    assert response.status_code == 400 and "after" in response.text
