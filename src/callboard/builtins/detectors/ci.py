"""CI and delivery pipelines: which system runs them, whether they publish a package or deploy, and to
which environments (a deploy to production means the component is in production)."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from typing import Any

from callboard.builtins.detectors.ci_scope import (
    LOCAL_WORKFLOW,
    WHOLE_REPOSITORY,
    PipelinePart,
    github_parts,
    gitlab_parts,
    project_scope,
    reusable_only,
)
from callboard.builtins.detectors.common import folder, json_object
from callboard.sdk import Fact, RepoView

PUBLISH = re.compile(
    r"twine upload|uv publish|poetry publish|pypa/gh-action-pypi-publish|npm publish|yarn publish|pnpm publish|"
    r"semantic-release|changesets/action|gem push|cargo publish|mvn\b[^\n]*\bdeploy\b|gradle\w*\s+publish|goreleaser|"
    r"helm/chart-releaser-action|helm push"
)
DEPLOY = re.compile(
    r"kubectl (?:apply|rollout)|helm (?:upgrade|install)|argocd app sync|gcloud run deploy|aws ecs update-service|"
    r"serverless deploy|cf push|fly deploy|kustomize build"
)
TESTS = re.compile(
    r"pytest|npm (?:run )?test|yarn test|go test|mvn\b[^\n]*\b(?:test|verify)\b|gradle\w* test|cargo test|tox\b"
)
PRODUCTION = re.compile(r"^(?:prod|production|live)$", re.I)

PIPELINES = {
    ".github/workflows/*.yml": "github-actions",
    ".github/workflows/*.yaml": "github-actions",
    ".gitlab-ci.yml": "gitlab-ci",
    "Jenkinsfile": "jenkins",
    ".circleci/config.yml": "circleci",
}


#: Environments that publish static pages (GitHub Pages): usually the project's docs, not a place it runs.
PAGES = {"github-pages"}


def _environments(document: Any) -> list[str]:
    """Environment names in GitHub Actions jobs and GitLab CI jobs (``environment: x`` or ``{name: x}``)."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "environment":
                    name = value.get("name") if isinstance(value, dict) else value
                    if isinstance(name, str) and "${" not in name and name not in PAGES:
                        found.append(name)
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(document)
    return found


def _parts(repo: RepoView, path: str, system: str, projects: Callable[[], dict[str, str]]) -> list[PipelinePart]:
    """The pieces of a pipeline file, each with the folder it is about (see ``ci_scope``)."""
    if system == "gitlab-ci":
        parts = gitlab_parts(path, repo.text)
    elif system == "github-actions":
        parts = github_parts(repo.text(path) or "", repo.text)
    else:
        # A Jenkinsfile or CircleCI file kept in a component's folder is about that component.
        scope = folder(path) if system == "jenkins" and folder(path) else WHOLE_REPOSITORY
        parts = [PipelinePart(scope, repo.text(path) or "", None, path)]
    # A part that says nothing of its folder may still name the workspace project it builds or deploys.
    return [
        dataclasses.replace(part, scope=project_scope(part.text, projects)) if part.scope == WHOLE_REPOSITORY else part
        for part in parts
    ]


def _called_elsewhere(repo: RepoView, path: str) -> bool:
    """A reusable workflow (``on: workflow_call``) another workflow of the repository calls: it is part of each
    caller, about the caller's folder, rather than a pipeline of its own."""
    text = repo.text(path) or ""
    if not reusable_only(text):
        return False
    callers = (repo.text(other) or "" for other in repo.glob(".github/workflows/*.yml", ".github/workflows/*.yaml"))
    return any(path in LOCAL_WORKFLOW.findall(caller) for caller in callers)


def workspace_projects(repo: RepoView) -> dict[str, str]:
    """Project and package names of a workspace → their folder: Nx's ``project.json`` and ``package.json``."""
    found: dict[str, str] = {}
    for path in sorted(repo.glob("project.json", "package.json"), key=lambda path: -path.count("/")):
        name = json_object(repo.text(path)).get("name")
        if isinstance(name, str) and name and folder(path):
            found.setdefault(name, folder(path))
    return found


class Pipelines:
    id = "ci"

    def detect(self, repo: RepoView) -> list[Fact]:
        facts: list[Fact] = []
        #: Per scope (a folder, or ``*`` for the repository), each environment deployed to and the file saying so.
        environments: dict[str, dict[str, str]] = {}
        projects = functools.cache(lambda: workspace_projects(repo))
        for pattern, system in PIPELINES.items():
            read: set[str] = set()
            for path in sorted(repo.glob(pattern), key=lambda path: (path.count("/"), path)):
                if path in read or (system == "github-actions" and _called_elsewhere(repo, path)):
                    continue  # included in a pipeline that calls it, read with that pipeline's scope
                parts = _parts(repo, path, system, projects)
                read.update(part.source for part in parts)
                for scope in dict.fromkeys(part.scope for part in parts):
                    facts.append(
                        Fact(
                            scope,
                            "metadata.annotations.callboard.dev/ci",
                            system,
                            0.9,
                            path,
                            f"{path} is a {system} pipeline",
                        )
                    )
                for part in parts:
                    facts += _part_facts(part, path)
                    found = environments.setdefault(part.scope, {})
                    for name in _environments(part.document):
                        found.setdefault(name, path)
                    for name in re.findall(r"stage\(['\"]deploy[ -_]?(?:to[ -_])?(\w+)['\"]\)", part.text, re.I):
                        found.setdefault(name, path)
        for scope, found in environments.items():
            if found:
                facts += _environment_facts(scope, found)
        return facts


def _part_facts(part: PipelinePart, path: str) -> list[Fact]:
    """What a pipeline part's commands say: it publishes a package, deploys, runs tests."""
    facts: list[Fact] = []
    scope, text = part.scope, part.text
    published, deployed, tested = PUBLISH.search(text), DEPLOY.search(text), TESTS.search(text)
    if published and published.group(0) == "goreleaser":
        # GoReleaser ships executables (archives, Homebrew, packages): people run them, nobody imports them.
        rule = "the pipeline releases executables (goreleaser)"
        facts.append(Fact(scope, "spec.type", "tool", 0.65, path, rule))
        facts.append(Fact(scope, "spec.lifecycle", "production", 0.55, path, rule))
    elif published:
        # What people install is a library whatever framework it uses, and it is released.
        rule = f"the pipeline publishes a package ({published.group(0)})"
        facts.append(Fact(scope, "spec.type", "library", 0.9, path, rule))
        facts.append(Fact(scope, "spec.lifecycle", "production", 0.55, path, rule))
    if deployed:
        rule = f"the pipeline deploys ({deployed.group(0)})"
        facts.append(Fact(scope, "spec.type", "service", 0.7, path, rule))
    if tested:
        rule = f"the pipeline runs tests ({tested.group(0)})"
        facts.append(Fact(scope, "metadata.annotations.callboard.dev/ci-tests", "true", 0.8, path, rule))
    return facts


def _environment_facts(scope: str, environments: dict[str, str]) -> list[Fact]:
    """What deploying to these environments says: the environments, a service, and production or not."""
    names = sorted(environments, key=str.lower)
    source = environments[names[0]]
    listed = ", ".join(names)
    facts = [
        Fact(
            scope,
            "metadata.annotations.callboard.dev/environments",
            ",".join(names),
            0.9,
            source,
            "the pipelines deploy to these environments",
        ),
        Fact(scope, "spec.type", "service", 0.6, source, f"the pipeline deploys to {listed}"),
    ]
    production = [name for name in names if PRODUCTION.match(name)]
    if production:
        rule = f"the pipeline deploys to {production[0]}"
        facts.append(Fact(scope, "spec.lifecycle", "production", 0.8, environments[production[0]], rule))
    else:
        rule = f"the pipeline deploys to {listed} but not to production"
        facts.append(Fact(scope, "spec.lifecycle", "experimental", 0.5, source, rule))
    return facts
