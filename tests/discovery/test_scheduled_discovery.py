"""The scheduled discovery jobs shipped in contrib/ci/, run as a runner would run them: each step's expressions
filled in from the job's variables and secrets, its command run in a shell, against the local GitHub stand-in.
Run twice (the schedule fires again), they open one pull request per repository that lacks a descriptor, once,
and the pull request says which file and rule produced each field."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from callboard.demo.sample_repos import Expected
from tests.discovery.fake_github import FakeGithub
from tests.support import Server

ROOT = Path(__file__).resolve().parents[2]
GITHUB_WORKFLOW = ROOT / "contrib" / "ci" / "callboard-discover.yml"
GITLAB_JOB = ROOT / "contrib" / "ci" / "callboard-discover.gitlab-ci.yml"
BIN = Path(sys.executable).parent
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@pytest.fixture
def github(samples: tuple[Path, dict[str, Expected]]) -> Iterator[tuple[FakeGithub, str]]:
    root, _ = samples
    fake = FakeGithub("acme", root)
    with Server(fake.app) as server:
        yield fake, server.url


def _evaluate(expression: str, context: Mapping[str, Mapping[str, str]]) -> str:
    """GitHub's ``a.b || 'default'`` expressions, as far as the workflow uses them."""
    for alternative in (part.strip() for part in expression.split("||")):
        if alternative.startswith("'") and alternative.endswith("'"):
            return alternative[1:-1]
        scope, _, name = alternative.partition(".")
        value = context.get(scope, {}).get(name)
        if value:
            return value
    return ""


def _run(command: str, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    command_line = ["bash", "-e", "-c", command]
    return subprocess.run(command_line, env=environment, cwd=cwd, capture_output=True, text=True, check=False)


def _installs_callboard(command: str) -> bool:
    # The install step fetches Callboard from PyPI; here it is installed already (this environment is it).
    return command.startswith("pip install") and '"callboard==' in command


def test_the_github_workflow_runs_on_a_schedule_and_proposes_each_file_once(
    github: tuple[FakeGithub, str], tmp_path: Path
) -> None:
    fake, url = github
    workflow: dict[Any, Any] = yaml.safe_load(GITHUB_WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    context = {
        "vars": {"CALLBOARD_ORG": "acme", "CALLBOARD_GITHUB_API": url},
        "secrets": {"CALLBOARD_DISCOVERY_TOKEN": "ghs_runner_token"},
        "github": {"repository_owner": "acme", "api_url": "https://api.github.com"},
    }
    steps = workflow["jobs"]["discover"]["steps"]
    for run in (1, 2):
        for step in steps:
            if "run" not in step:
                continue
            command = EXPRESSION.sub(lambda m: _evaluate(m.group(1), context), step["run"])
            if _installs_callboard(command):
                continue
            env = {
                key: EXPRESSION.sub(lambda m: _evaluate(m.group(1), context), str(value))
                for key, value in (step.get("env") or {}).items()
            }
            done = _run(command, env, tmp_path)
            assert done.returncode == 0, f"run {run}: {command}\n{done.stderr}"
        if run == 1:
            first = [dict(pull) for pull in fake.pulls]
            commits = fake.commits
    assert first, "no pull request was opened"
    assert fake.pulls == [{**pull, "body": fake.pulls[index]["body"]} for index, pull in enumerate(first)]
    assert len({pull["repo"] for pull in fake.pulls}) == len(fake.pulls)  # one per repository
    assert fake.commits == commits  # nothing changed, nothing written again
    orders = next(pull for pull in fake.pulls if pull["repo"] == "orders-service")
    assert "| `spec.owner` | group:commerce | `CODEOWNERS`: CODEOWNERS gives * to @acme/commerce |" in orders["body"]
    assert "search-indexer" not in {pull["repo"] for pull in fake.pulls}  # it describes itself


def test_the_gitlab_job_does_the_same(github: tuple[FakeGithub, str], tmp_path: Path) -> None:
    fake, url = github
    job = yaml.safe_load(GITLAB_JOB.read_text())["callboard-discover"]
    assert any("schedule" in rule["if"] for rule in job["rules"])
    assert all(_installs_callboard(line.replace("${CALLBOARD_VERSION}", "0.1.0")) for line in job["before_script"])
    variables = {**job["variables"], "CALLBOARD_ORG": "acme", "CALLBOARD_GITHUB_API": url, "GITHUB_TOKEN": "glpat"}
    for _ in range(2):
        for line in job["script"]:
            done = _run(line, {key: str(value) for key, value in variables.items()}, tmp_path)
            assert done.returncode == 0, done.stderr
    assert fake.pulls and len({pull["repo"] for pull in fake.pulls}) == len(fake.pulls)
