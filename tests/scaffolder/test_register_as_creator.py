"""catalog:register acts as the user who created the task: their catalog.location.create decides, and the
audit log names them (not the portal), on whichever worker runs the task later."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from callboard.app import Runtime
from callboard.core.identity import Identity
from callboard.core.permissions import SYSTEM
from tests.web.test_scaffolder_tasks import template_site

INTERN = Identity("user", "user:default/intern", ("user:default/intern", "group:default/interns"))
ALICE = Identity("user", "user:default/alice", ("user:default/alice", "group:default/team-a"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, str]]:
    interns_may_not_register = {
        "rules": [
            {"permission": "catalog.location.create", "principals": ["group:default/interns"], "decision": "deny"}
        ]
    }
    with template_site(tmp_path_factory.mktemp("register-as-creator"), permission=interns_may_not_register) as (
        runtime,
        url,
        _,
    ):
        yield runtime, url


def _api(runtime: Runtime, url: str, identity: Identity) -> httpx.Client:
    token = runtime.auth.tokens.issue(identity)
    return httpx.Client(base_url=f"{url}/api", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _run(runtime: Runtime, api: httpx.Client, name: str) -> dict[str, object]:
    created = api.post(
        "/scaffolder/v2/tasks", json={"templateRef": "template:default/new-service", "values": {"name": name}}
    )
    assert created.status_code == 201, created.text
    while runtime.tasks.run_one():
        pass
    return dict(api.get(f"/scaffolder/v2/tasks/{created.json()['id']}").json())


def test_a_user_without_location_create_cannot_register_through_a_template(site: tuple[Runtime, str]) -> None:
    runtime, url = site
    with _api(runtime, url, INTERN) as api:
        task = _run(runtime, api, "interns-service")
        assert task["status"] == "failed"
        assert "catalog.location.create" in str(task["error"]) or "register locations" in str(task["error"])
        locations = api.get("/catalog/locations").json()
    assert not any("interns-service" in str(item) for item in locations)
    assert not runtime.audit.read(SYSTEM, actions=["catalog.location.create"], actor=INTERN.subject)


def test_a_user_allowed_registers_and_the_audit_log_names_them(site: tuple[Runtime, str]) -> None:
    runtime, url = site
    with _api(runtime, url, ALICE) as api:
        task = _run(runtime, api, "alices-service")
        assert task["status"] == "completed", task
        assert "identity" not in task["spec"]  # who a task acts for is kept for the worker, not shown
    entries = runtime.audit.read(SYSTEM, actions=["catalog.location.create"], actor=ALICE.subject)
    assert len(entries) == 1
    assert "alices-service" in entries[0]["target"] and entries[0]["details"]["via"] == "scaffolder"
