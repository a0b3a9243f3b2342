"""CI and delivery pipelines: which system runs them, whether they publish a package or deploy, and to
which environments (a deploy to production means the component is in production)."""

from __future__ import annotations

import re
from typing import Any

from callboard.builtins.detectors.common import yaml_documents
from callboard.sdk import Fact, RepoView

PUBLISH = re.compile(
    r"twine upload|uv publish|poetry publish|pypa/gh-action-pypi-publish|npm publish|yarn publish|pnpm publish|"
    r"cargo publish|mvn\b[^\n]*\bdeploy\b|gradle\w*\s+publish|goreleaser"
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


def _environments(document: Any) -> list[str]:
    """Environment names in GitHub Actions jobs and GitLab CI jobs (``environment: x`` or ``{name: x}``)."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "environment":
                    name = value.get("name") if isinstance(value, dict) else value
                    if isinstance(name, str) and "${" not in name:
                        found.append(name)
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(document)
    return found


class Pipelines:
    id = "ci"

    def detect(self, repo: RepoView) -> list[Fact]:
        facts: list[Fact] = []
        environments: dict[str, str] = {}
        for pattern, system in PIPELINES.items():
            for path in repo.glob(pattern):
                text = repo.text(path) or ""
                facts.append(
                    Fact(
                        "*",
                        "metadata.annotations.callboard.dev/ci",
                        system,
                        0.9,
                        path,
                        f"{path} is a {system} pipeline",
                    )
                )
                published, deployed, tested = PUBLISH.search(text), DEPLOY.search(text), TESTS.search(text)
                if published:
                    rule = f"the pipeline publishes a package ({published.group(0)})"
                    facts.append(Fact("*", "spec.type", "library", 0.8, path, rule))
                if deployed:
                    rule = f"the pipeline deploys ({deployed.group(0)})"
                    facts.append(Fact("*", "spec.type", "service", 0.7, path, rule))
                if tested:
                    rule = f"the pipeline runs tests ({tested.group(0)})"
                    facts.append(Fact("*", "metadata.annotations.callboard.dev/ci-tests", "true", 0.8, path, rule))
                for document in yaml_documents(text) if path.endswith((".yml", ".yaml")) else []:
                    for name in _environments(document):
                        environments.setdefault(name, path)
                for name in re.findall(r"stage\(['\"]deploy[ -_]?(?:to[ -_])?(\w+)['\"]\)", text, re.I):
                    environments.setdefault(name, path)
        if environments:
            names = sorted(environments, key=str.lower)
            source = environments[names[0]]
            facts.append(
                Fact(
                    "*",
                    "metadata.annotations.callboard.dev/environments",
                    ",".join(names),
                    0.9,
                    source,
                    "the pipelines deploy to these environments",
                )
            )
            facts.append(Fact("*", "spec.type", "service", 0.6, source, f"the pipeline deploys to {', '.join(names)}"))
            production = [name for name in names if PRODUCTION.match(name)]
            if production:
                facts.append(
                    Fact(
                        "*",
                        "spec.lifecycle",
                        "production",
                        0.8,
                        environments[production[0]],
                        f"the pipeline deploys to {production[0]}",
                    )
                )
            else:
                facts.append(
                    Fact(
                        "*",
                        "spec.lifecycle",
                        "experimental",
                        0.5,
                        source,
                        f"the pipeline deploys to {', '.join(names)} but not to production",
                    )
                )
        return facts
