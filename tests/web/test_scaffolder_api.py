"""``/api/scaffolder/v2``: the actions list, a template's form, and dry runs, over real HTTP."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from tests.catalog.fixtures import config, write_catalog
from tests.support import AUTH, Server, make_runtime, write

TEMPLATE: dict[str, Any] = {
    "apiVersion": "scaffolder.backstage.io/v1beta3",
    "kind": "Template",
    "metadata": {"name": "svc-template", "title": "Service"},
    "spec": {
        "owner": "team-a",
        "type": "service",
        "parameters": [
            {"title": "Name", "required": ["name"], "properties": {"name": {"type": "string", "pattern": "^[a-z-]+$"}}},
            {"title": "Where", "properties": {"repoUrl": {"type": "string", "ui:field": "RepoUrlPicker"}}},
        ],
        "steps": [
            {
                "id": "fetch",
                "action": "fetch:template",
                "input": {"url": "./skeleton", "values": {"name": "${{ parameters.name }}"}},
            },
            {"id": "publish", "action": "publish:github", "input": {"repoUrl": "${{ parameters.repoUrl }}"}},
        ],
        "output": {"links": [{"title": "Repository", "url": "${{ steps.publish.output.remoteUrl }}"}]},
    },
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    tmp = tmp_path_factory.mktemp("scaffolder")
    root = write_catalog(tmp / "repo")
    write(tmp / "repo" / "templates" / "template.yaml", yaml.safe_dump(TEMPLATE))
    cfg = config(root, {"connection": str(tmp / "db.sqlite")})
    cfg["catalog"]["locations"].append({"type": "file", "target": str(tmp / "repo" / "templates" / "template.yaml")})  # type: ignore[index]
    cfg["integrations"] = {"github": [{"host": "github.com", "token": "ghp_x", "apiBaseUrl": "http://127.0.0.1:9"}]}
    runtime = make_runtime(cfg, tmp)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        with (
            Server(runtime.web) as server,
            httpx.Client(base_url=server.url + "/api/scaffolder/v2", headers=AUTH) as client,
        ):
            yield client
    finally:
        runtime.close()


def test_actions_are_listed_by_id_with_their_schemas(api: httpx.Client) -> None:
    actions = api.get("/actions").json()
    ids = [action["id"] for action in actions]
    assert ids == sorted(ids) and {"fetch:template", "publish:github", "catalog:register"} <= set(ids)
    fetch = next(action for action in actions if action["id"] == "fetch:template")
    assert "url" in fetch["schema"]["input"]["required"]


def test_parameter_schema_comes_from_the_catalogs_template(api: httpx.Client) -> None:
    schema = api.get("/templates/default/template/svc-template/parameter-schema").json()
    assert schema["title"] == "Service" and [step["title"] for step in schema["steps"]] == ["Name", "Where"]
    assert api.get("/templates/default/template/nope/parameter-schema").status_code == 404


def test_dry_run_renders_the_files_and_skips_publishing_effects(api: httpx.Client) -> None:
    readme = base64.b64encode(b"# ${{ values.name }}\n").decode()
    response = api.post(
        "/dry-run",
        json={
            "template": TEMPLATE,
            "values": {"name": "svc", "repoUrl": "github.com?owner=acme&repo=svc"},
            "directoryContents": [{"path": "skeleton/README.md", "base64Content": readme}],
        },
    )
    body = response.json()
    assert response.status_code == 200 and body["status"] == "completed", body
    assert body["directoryContents"] == [
        {"path": "README.md", "executable": False, "base64Content": base64.b64encode(b"# svc\n").decode()}
    ]
    assert body["output"]["links"][0]["url"] == "https://github.com/acme/svc.git"
    assert [step["status"] for step in body["steps"]] == ["completed", "completed"]


def test_dry_run_refuses_bad_values_and_escaping_paths(api: httpx.Client) -> None:
    bad = api.post("/dry-run", json={"template": TEMPLATE, "values": {"name": "Bad Name"}})
    assert bad.status_code == 400 and "name: 'Bad Name' does not match" in bad.json()["error"]["message"]
    escape = api.post(
        "/dry-run",
        json={
            "template": TEMPLATE,
            "values": {"name": "x"},
            "directoryContents": [{"path": "../../x", "base64Content": ""}],
        },
    )
    assert escape.status_code == 403


def test_the_scaffolder_api_needs_an_identity(api: httpx.Client) -> None:
    assert httpx.get(str(api.base_url) + "/actions").status_code == 401
