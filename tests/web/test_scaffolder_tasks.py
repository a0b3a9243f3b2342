"""Tasks end to end over the API: create, run on a worker, publish to a real git server, register, stream."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from callboard.app import Runtime
from callboard.scaffolder import store
from tests.catalog.fixtures import config, write_catalog
from tests.scaffolder.git_server import GitServer
from tests.support import AUTH, Server, make_runtime, write


def template(git_url: str) -> dict[str, Any]:
    return {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {"name": "new-service", "title": "New service"},
        "spec": {
            "owner": "team-a",
            "type": "service",
            "parameters": [
                {
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "pattern": "^[a-z-]+$"},
                        "wait": {"type": "number", "default": 0},
                    },
                }
            ],
            "steps": [
                {
                    "id": "fetch",
                    "action": "fetch:template",
                    "input": {"url": "./skeleton", "values": {"name": "${{ parameters.name }}"}},
                },
                {"id": "wait", "action": "debug:wait", "input": {"seconds": "${{ parameters.wait }}"}},
                {
                    "id": "publish",
                    "action": "publish:git",
                    "input": {
                        "remoteUrl": f"{git_url}/services/${{{{ parameters.name }}}}.git",
                        "contentsUrl": f"{git_url}/raw/services/${{{{ parameters.name }}}}/main",
                    },
                },
                {
                    "id": "register",
                    "action": "catalog:register",
                    "input": {"repoContentsUrl": "${{ steps.publish.output.repoContentsUrl }}"},
                },
            ],
            "output": {
                "links": [
                    {"title": "Repository", "url": "${{ steps.publish.output.remoteUrl }}"},
                    {"title": "In the catalog", "entityRef": "${{ steps.register.output.entityRef }}"},
                ]
            },
        },
    }


SKELETON = (
    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\n"
    "spec:\n  type: service\n  lifecycle: experimental\n  owner: team-a\n"
)


@contextlib.contextmanager
def template_site(tmp: Path, **extra: Any) -> Iterator[tuple[Runtime, str, GitServer]]:
    """The template above in a served catalog, publishing to a git server on loopback; ``extra`` is more
    app-config (``permission=...``)."""
    with GitServer(tmp / "git") as git:
        root = write_catalog(tmp / "repo")
        write(tmp / "repo" / "templates" / "template.yaml", yaml.safe_dump(template(git.url)))
        write(tmp / "repo" / "templates" / "skeleton" / "catalog-info.yaml", SKELETON)
        cfg = config(root, {"connection": str(tmp / "db.sqlite")})
        cfg["catalog"]["locations"].append(
            {"type": "file", "target": str(tmp / "repo" / "templates" / "template.yaml")}
        )  # type: ignore[index]
        cfg["backend"]["reading"] = {"allow": [{"host": "127.0.0.1"}]}  # type: ignore[index]
        cfg.update(extra)
        runtime = make_runtime(cfg, tmp)
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            with Server(runtime.web) as server:
                yield runtime, server.url, git
        finally:
            runtime.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, httpx.Client, GitServer]]:
    with (
        template_site(tmp_path_factory.mktemp("tasks")) as (runtime, url, git),
        httpx.Client(base_url=url + "/api/scaffolder/v2", headers=AUTH, timeout=30) as api,
    ):
        yield runtime, api, git


def test_a_task_runs_publishes_and_registers_the_new_component(site: tuple[Runtime, httpx.Client, GitServer]) -> None:
    runtime, api, git = site
    created = api.post("/tasks", json={"templateRef": "template:default/new-service", "values": {"name": "payments"}})
    assert created.status_code == 201
    task_id = created.json()["id"]
    assert api.get(f"/tasks/{task_id}").json()["status"] == "open"
    assert runtime.tasks.run_one()
    task = api.get(f"/tasks/{task_id}").json()
    assert task["status"] == "completed", task
    assert task["createdBy"] == "service:tests" and "secrets" not in json.dumps(task)
    assert git.files("services/payments")["catalog-info.yaml"].startswith("apiVersion: backstage.io/v1alpha1")
    assert task["output"]["links"][1]["entityRef"] == "component:default/payments"
    runtime.engine.run_until_idle(60)
    assert runtime.catalog.entity_by_name("component", "default", "payments")["spec"]["owner"] == "team-a"
    events = api.get(f"/tasks/{task_id}/events").json()
    assert events[-1]["type"] == "completion" and events[-1]["body"]["status"] == "completed"
    assert any(e["body"].get("stepId") == "publish" and e["body"].get("status") == "completed" for e in events)
    later = api.get(f"/tasks/{task_id}/events", params={"after": events[-2]["id"]}).json()
    assert [e["id"] for e in later] == [events[-1]["id"]]


def test_the_event_stream_speaks_server_sent_events(site: tuple[Runtime, httpx.Client, GitServer]) -> None:
    runtime, api, _ = site
    task_id = api.post(
        "/tasks", json={"templateRef": "template:default/new-service", "values": {"name": "ledger"}}
    ).json()["id"]
    _run_open_tasks(runtime)
    assert api.get(f"/tasks/{task_id}").json()["status"] == "completed"
    with api.stream("GET", f"/tasks/{task_id}/eventstream") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    blocks = [block for block in text.split("\n\n") if block.startswith("event:")]
    assert blocks[-1].startswith("event: completion\ndata: ")
    assert json.loads(blocks[-1].split("data: ", 1)[1])["body"]["status"] == "completed"


def test_bad_values_and_unknown_templates_are_refused(site: tuple[Runtime, httpx.Client, GitServer]) -> None:
    _, api, _ = site
    bad = api.post("/tasks", json={"templateRef": "template:default/new-service", "values": {"name": "Bad Name"}})
    assert bad.status_code == 400 and "name: 'Bad Name' does not match" in bad.json()["error"]["message"]
    assert api.post("/tasks", json={"templateRef": "template:default/nope", "values": {}}).status_code == 404


def test_cancel_and_list_by_owner_and_status(site: tuple[Runtime, httpx.Client, GitServer]) -> None:
    _runtime, api, _ = site
    task_id = api.post(
        "/tasks", json={"templateRef": "template:default/new-service", "values": {"name": "cancelme"}}
    ).json()["id"]
    assert api.post(f"/tasks/{task_id}/cancel").json() == {"status": "cancelled"}
    assert api.get(f"/tasks/{task_id}").json()["status"] == "cancelled"
    listed = api.get("/tasks", params={"createdBy": "service:tests", "status": "cancelled"}).json()
    assert task_id in [t["id"] for t in listed["tasks"]] and listed["totalTasks"] >= 1
    assert all(t["status"] == "cancelled" for t in listed["tasks"])


def test_a_running_task_is_cancelled_between_steps(site: tuple[Runtime, httpx.Client, GitServer]) -> None:
    runtime, api, _ = site
    task_id = api.post(
        "/tasks", json={"templateRef": "template:default/new-service", "values": {"name": "slow", "wait": 2}}
    ).json()["id"]
    runtime.tasks.start()
    try:
        for _ in range(100):
            if api.get(f"/tasks/{task_id}").json()["status"] == "processing":
                break
            time.sleep(0.05)
        api.post(f"/tasks/{task_id}/cancel")
        for _ in range(200):
            status = api.get(f"/tasks/{task_id}").json()["status"]
            if status in ("cancelled", "completed", "failed"):
                break
            time.sleep(0.05)
    finally:
        runtime.tasks.stop()
    assert status == "cancelled"


def test_a_task_whose_worker_died_is_marked_failed(site: tuple[Runtime, httpx.Client, GitServer]) -> None:
    runtime, api, _ = site
    task_id = api.post(
        "/tasks", json={"templateRef": "template:default/new-service", "values": {"name": "orphan"}}
    ).json()["id"]
    with runtime.database.transaction() as connection:
        claimed = store.claim_task(connection, "dead-worker", lease_seconds=-1, postgres=False)
    assert claimed is not None and claimed["id"] == task_id
    runtime.tasks.run_one()  # any worker's next pass notices the expired lease
    task = api.get(f"/tasks/{task_id}").json()
    assert task["status"] == "failed" and "lease expired" in task["error"]
    assert api.get(f"/tasks/{task_id}/events").json()[-1]["body"]["error"]["name"] == "TaskLeaseExpired"


def test_the_workspace_is_removed_after_a_run(site: tuple[Runtime, httpx.Client, GitServer], tmp_path: Path) -> None:
    runtime, api, _ = site
    _run_open_tasks(runtime)  # the module's earlier tests may leave tasks open; run_one takes the oldest
    task_id = api.post(
        "/tasks", json={"templateRef": "template:default/new-service", "values": {"name": "tidy"}}
    ).json()["id"]
    assert runtime.tasks.run_one()
    task = api.get(f"/tasks/{task_id}").json()
    assert task["status"] == "completed", task
    messages = [event["body"].get("message", "") for event in api.get(f"/tasks/{task_id}/events").json()]
    assert "fetch:template wrote 1 files into ./" in messages  # this task ran and filled its workspace
    assert not (runtime.tasks.work_dir / task_id).exists()


def _run_open_tasks(runtime: Runtime) -> None:
    while runtime.tasks.run_one():
        pass


def test_templates_cannot_register_or_publish_files_elsewhere_on_the_server(
    site: tuple[Runtime, httpx.Client, GitServer], tmp_path: Path
) -> None:
    from callboard.builtins.scaffolder_publish import PublishFileInput, publish_file
    from callboard.core.errors import NotAllowedError
    from callboard.core.identity import Identity
    from callboard.scaffolder.actions import ActionContext

    runtime, _, _ = site
    assert runtime.tasks.catalog_for is not None
    with pytest.raises(NotAllowedError, match="may only register files under"):
        runtime.tasks.catalog_for(Identity("user", "user:default/tester")).register("file", "/etc/passwd")
    context = ActionContext(
        workspace=tmp_path, base_url="file:/x", log=lambda _: None, local_root=tmp_path / "published"
    )
    with pytest.raises(NotAllowedError, match="would leave the published folder"):
        publish_file(context, PublishFileInput(path="../../etc"))
    offline = ActionContext(workspace=tmp_path, base_url="file:/x", log=lambda _: None)
    with pytest.raises(Exception, match="cannot run here"):
        publish_file(offline, PublishFileInput(path="svc"))
