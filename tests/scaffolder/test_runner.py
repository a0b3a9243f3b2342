"""Running templates: steps in order with if/each and outputs, clear errors, publishing to real git servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callboard.builtins.scaffolder_actions import register_scaffolder_actions
from callboard.scaffolder.runner import Runner
from callboard.scaffolder.templates import Template
from tests.auth.fakes import FakeGithub
from tests.scaffolder.git_server import GitServer
from tests.support import Server, write

ACTIONS = {action.id: action for action in register_scaffolder_actions()}


def template(
    steps: list[dict[str, Any]], parameters: Any = None, output: Any = None, base: Path | None = None
) -> Template:
    entity = {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {"name": "t"},
        "spec": {"type": "service", "steps": steps, "parameters": parameters or [], "output": output or {}},
    }
    return Template.from_entity(
        entity, base_url=f"file:{base / 'template.yaml'}" if base else "file:/nonexistent/t.yaml"
    )


def execute(tpl: Template, values: dict[str, Any], workspace: Path, **options: Any) -> tuple[Any, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    result = Runner(ACTIONS).run(tpl, values, workspace=workspace, emit=events.append, **options)
    return result, events


def test_steps_run_in_order_with_if_each_and_outputs(tmp_path: Path) -> None:
    tpl = template(
        [
            {
                "id": "write",
                "action": "catalog:write",
                "input": {"entity": {"kind": "Component", "metadata": {"name": "${{ parameters.name }}"}}},
            },
            {
                "id": "each",
                "action": "debug:log",
                "each": "${{ parameters.items }}",
                "input": {"message": "item ${{ each.value }}"},
            },
            {
                "id": "never",
                "if": "${{ parameters.items | length > 5 }}",
                "action": "debug:log",
                "input": {"message": "no"},
            },
            {"action": "debug:log", "input": {"message": "defaults"}},
        ],
        output={"links": [{"title": "Name", "url": "https://x/${{ parameters.name }}"}]},
    )
    result, events = execute(tpl, {"name": "svc", "items": ["a", "b"]}, tmp_path)
    assert result.status == "completed"
    assert [(s.id, s.status) for s in result.steps] == [
        ("write", "completed"),
        ("each", "completed"),
        ("never", "skipped"),
        ("step-4", "completed"),
    ]
    assert result.steps[1].output == [{}, {}]
    assert result.output == {"links": [{"title": "Name", "url": "https://x/svc"}]}
    messages = [e["body"]["message"] for e in events]
    assert "item a" in messages and "item b" in messages and "no" not in messages
    assert events[-1]["type"] == "completion" and events[-1]["body"]["status"] == "completed"


def test_a_bad_step_input_fails_the_run_naming_step_and_field(tmp_path: Path) -> None:
    tpl = template([{"id": "fetch", "action": "fetch:plain", "input": {"target": "x"}}])
    result, events = execute(tpl, {}, tmp_path)
    assert result.status == "failed" and "Step 'fetch' (fetch:plain): input.url: Field required" in result.error
    assert result.steps[0].status == "failed"
    assert events[-1]["body"]["error"]["message"] == result.error


def test_templates_using_missing_actions_fail_before_running(tmp_path: Path) -> None:
    tpl = template([{"action": "debug:log", "input": {"message": "x"}}, {"action": "acme:deploy"}])
    result, _ = execute(tpl, {}, tmp_path)
    assert result.status == "failed" and "acme:deploy" in result.error
    assert result.steps[0].status == "open"  # nothing ran


def test_values_are_checked_against_every_form_step(tmp_path: Path) -> None:
    tpl = template(
        [],
        parameters=[
            {"required": ["name"], "properties": {"name": {"type": "string", "pattern": "^[a-z-]+$"}}},
            {"properties": {"port": {"type": "integer", "maximum": 65535}}},
        ],
    )
    assert tpl.validate({"name": "ok", "port": 80}) == []
    problems = tpl.validate({"name": "Not OK", "port": 70000})
    assert [(p["path"], p["step"]) for p in problems] == [("name", "0"), ("port", "1")]
    assert tpl.validate({})[0] == {
        "step": "0",
        "path": "name",
        "message": "Name is required",
        "detail": "'name' is a required property",
    }


def test_cancelling_stops_between_steps(tmp_path: Path) -> None:
    tpl = template(
        [{"action": "debug:log", "input": {"message": "1"}}, {"action": "debug:log", "input": {"message": "2"}}]
    )
    calls = iter([False, True])
    result, events = execute(tpl, {}, tmp_path, cancelled=lambda: next(calls))
    assert result.status == "cancelled" and [s.status for s in result.steps] == ["completed", "skipped"]
    assert events[-1]["type"] == "cancelled"


def test_v1beta2_templates_get_a_clear_message() -> None:
    with pytest.raises(Exception, match="v1beta2 templates use"):
        Template.from_entity(
            {"apiVersion": "backstage.io/v1beta2", "kind": "Template", "metadata": {"name": "x"}, "spec": {}}
        )


@pytest.fixture
def git(tmp_path: Path) -> Iterator[GitServer]:
    with GitServer(tmp_path / "git") as server:
        yield server


def test_publish_git_pushes_the_rendered_files(tmp_path: Path, git: GitServer) -> None:
    write(tmp_path / "tpl" / "sk" / "README.md", "# ${{ values.name }}\n")
    tpl = template(
        [
            {
                "id": "fetch",
                "action": "fetch:template",
                "input": {"url": "./sk", "values": {"name": "${{ parameters.name }}"}},
            },
            {
                "id": "publish",
                "action": "publish:git",
                "input": {"remoteUrl": f"{git.url}/team/${{{{ parameters.name }}}}.git"},
            },
        ],
        output={"links": [{"url": "${{ steps.publish.output.remoteUrl }}"}]},
        base=tmp_path / "tpl",
    )
    result, _ = execute(tpl, {"name": "svc"}, tmp_path / "ws")
    assert result.status == "completed", result.error
    assert git.files("team/svc") == {"README.md": "# svc\n"}
    assert result.steps[1].output["commitHash"] and result.output["links"][0]["url"] == f"{git.url}/team/svc.git"


def test_publish_github_creates_the_repository_and_pushes(tmp_path: Path) -> None:
    github = FakeGithub()
    with GitServer(tmp_path / "git", token=github.token) as git, Server(github.app) as api:
        github.git_url = git.url
        write(tmp_path / "tpl" / "sk" / "catalog-info.yaml", "metadata:\n  name: ${{ values.name }}\n")
        tpl = template(
            [
                {
                    "id": "fetch",
                    "action": "fetch:template",
                    "input": {"url": "./sk", "values": {"name": "${{ parameters.name }}"}},
                },
                {
                    "id": "publish",
                    "action": "publish:github",
                    "input": {
                        "repoUrl": "${{ parameters.repoUrl }}",
                        "description": "made by ${{ parameters.name }}",
                        "defaultBranch": "main",
                        "topics": ["callboard"],
                    },
                },
            ],
            base=tmp_path / "tpl",
        )
        integrations = {"github": [{"host": "github.com", "token": github.token, "apiBaseUrl": f"{api.url}/api/v3"}]}
        result, _ = execute(
            tpl,
            {"name": "svc", "repoUrl": "github.com?owner=acme&repo=svc"},
            tmp_path / "ws",
            integrations=integrations,
        )
        assert result.status == "completed", result.error
        assert github.repos["acme/svc"]["description"] == "made by svc" and github.repos["acme/svc"]["topics"] == [
            "callboard"
        ]
        assert git.files("acme/svc") == {"catalog-info.yaml": "metadata:\n  name: svc\n"}
        output = result.steps[1].output
        assert output["repoContentsUrl"] == f"{git.url}/acme/svc/blob/main" and github.token not in str(output)
        again, _ = execute(
            tpl,
            {"name": "svc", "repoUrl": "github.com?owner=acme&repo=svc"},
            tmp_path / "ws2",
            integrations=integrations,
        )
        assert again.status == "failed" and "already exists" in again.error


def test_form_steps_with_when_apply_only_when_it_holds() -> None:
    tpl = template(
        [],
        parameters=[
            {"required": ["cloud"], "properties": {"cloud": {"type": "string", "enum": ["AWS", "GCP"]}}},
            {
                "when": "${{ parameters.cloud === 'AWS' }}",
                "required": ["region"],
                "properties": {"region": {"type": "string"}},
            },
            {
                "when": "${{ parameters.cloud === 'GCP' }}",
                "required": ["project"],
                "properties": {"project": {"type": "string"}},
            },
        ],
    )
    assert tpl.active_steps({"cloud": "GCP"}) == [0, 2]
    assert [p["path"] for p in tpl.validate({"cloud": "GCP"})] == ["project"]  # the AWS page is not asked
    assert tpl.validate({"cloud": "AWS", "region": "eu"}) == []
