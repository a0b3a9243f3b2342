"""In a monorepo, a pipeline limited to one folder is about the component there: GitLab's ``rules: changes``
(also through child pipelines, ``extends`` and local includes) and GitHub's working directories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callboard.assembly import create_plugin_manager
from callboard.builtins.detectors.ci_scope import shared_folder
from callboard.discovery.inference import Options
from callboard.discovery.model import Repository
from callboard.discovery.scanner import MemoryState, Scanner

SERVICES = {
    "services/orders/package.json": '{"name": "orders"}',
    "services/billing/package.json": '{"name": "billing"}',
}


def scan(tmp_path: Path, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every component inferred from ``files``, by name."""
    for path, text in {**SERVICES, **files}.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    scanner = Scanner(create_plugin_manager().discovery_detectors(), Options())
    repository = Repository(name="acme/shop", root=tmp_path, revision="1", web_url="https://gitlab.com/acme/shop")
    entities = scanner.scan("t", [repository], MemoryState()).entities
    return {entity["metadata"]["name"]: entity for entity in entities if entity["kind"] == "Component"}


def annotations(entity: dict[str, Any]) -> dict[str, str]:
    return dict(entity["metadata"].get("annotations") or {})


@pytest.mark.parametrize(
    ("patterns", "folder"),
    [
        (["services/orders/**/*"], "services/orders"),
        (["services/orders/src/**", "services/orders/Dockerfile"], "services/orders"),
        (["./services/orders/**", "!services/orders/docs/**"], "services/orders"),
        (["services/orders/**", "services/billing/**"], "services"),
        (["services/orders/**", "libs/**"], "*"),
        (["Dockerfile"], "*"),
        ([".github/workflows/**"], "*"),
        (["$CI_PROJECT_DIR/**"], "*"),
        ([], "*"),
    ],
)
def test_the_folder_path_patterns_share(patterns: list[str], folder: str) -> None:
    assert shared_folder(patterns) == folder


def test_gitlab_jobs_limited_by_rules_changes_are_about_their_folder(tmp_path: Path) -> None:
    pipeline = """
stages: [test, deploy]
.deploy:
  image: bitnami/kubectl
  script: [kubectl apply -f k8s/]
deploy-orders:
  extends: .deploy
  stage: deploy
  environment: {name: production}
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
      changes:
        paths: ['services/orders/**/*']
        compare_to: main
publish-billing:
  script: [cd services/billing, npm publish]
  only:
    changes: [services/billing/**/*]
"""
    found = scan(tmp_path, {".gitlab-ci.yml": pipeline})
    orders, billing = found["orders"], found["billing"]
    assert orders["spec"]["type"] == "service"
    assert orders["spec"]["lifecycle"] == "production"
    assert annotations(orders)["callboard.dev/environments"] == "production"
    assert annotations(orders)["callboard.dev/ci"] == "gitlab-ci"
    assert billing["spec"]["type"] == "library"
    assert "callboard.dev/environments" not in annotations(billing)  # the deploy is about orders only


def test_a_child_pipeline_triggered_for_one_folder_is_about_that_folder(tmp_path: Path) -> None:
    parent = """
orders:
  trigger:
    include: services/orders/.gitlab-ci.yml
  rules:
    - changes: [services/orders/**/*]
billing:
  trigger:
    include: [{local: services/billing/ci.yml}]
  rules:
    - changes: [services/billing/**/*]
"""
    orders_child = "deploy:\n  environment: production\n  script: [helm upgrade --install orders chart/]\n"
    billing_child = "test:\n  script: [npm test]\n"
    found = scan(
        tmp_path,
        {
            ".gitlab-ci.yml": parent,
            "services/orders/.gitlab-ci.yml": orders_child,
            "services/billing/ci.yml": billing_child,
        },
    )
    assert found["orders"]["spec"]["type"] == "service"
    assert found["orders"]["spec"]["lifecycle"] == "production"
    assert annotations(found["billing"])["callboard.dev/ci-tests"] == "true"
    assert "callboard.dev/ci-tests" not in annotations(found["orders"])
    assert found["billing"]["spec"]["lifecycle"] != "production"


def test_a_local_include_with_rules_changes_scopes_its_jobs(tmp_path: Path) -> None:
    parent = "include:\n  - local: ci/orders.yml\n    rules:\n      - changes: [services/orders/**]\n"
    included = "deploy-orders:\n  environment: production\n  script: [kubectl rollout restart deploy/orders]\n"
    found = scan(tmp_path, {".gitlab-ci.yml": parent, "ci/orders.yml": included})
    assert found["orders"]["spec"]["lifecycle"] == "production"
    assert "callboard.dev/environments" not in annotations(found["billing"])


def test_an_unlimited_gitlab_job_is_about_every_component(tmp_path: Path) -> None:
    pipeline = "deploy:\n  environment: production\n  script: [kubectl apply -f k8s/]\n"
    found = scan(tmp_path, {".gitlab-ci.yml": pipeline})
    assert annotations(found["orders"])["callboard.dev/environments"] == "production"
    assert annotations(found["billing"])["callboard.dev/environments"] == "production"


def test_a_github_workflow_whose_commands_run_in_one_folder_is_about_it(tmp_path: Path) -> None:
    workflow = """
on: push
defaults:
  run:
    working-directory: services/orders
jobs:
  deploy:
    environment: production
    steps:
      - run: kubectl apply -f k8s/
"""
    per_job = """
on: push
jobs:
  publish:
    defaults: {run: {working-directory: ./services/billing}}
    steps:
      - run: npm publish
"""
    found = scan(tmp_path, {".github/workflows/orders.yml": workflow, ".github/workflows/billing.yml": per_job})
    assert found["orders"]["spec"]["type"] == "service"
    assert found["orders"]["spec"]["lifecycle"] == "production"
    assert "callboard.dev/environments" not in annotations(found["billing"])
    assert found["billing"]["spec"]["type"] == "library"


@pytest.mark.parametrize(
    "command",
    [
        "npx nx run orders:deploy --prod",
        "npx nx deploy orders",
        "npx nx run-many -t deploy --projects=orders",
        "npx turbo run deploy --filter=orders",
        "pnpm --filter orders run deploy",
        "npx turbo run deploy --filter=./services/orders",
        "yarn workspace orders run deploy",
        "npm run deploy --workspace=orders",
        "bazel run //services/orders:deploy",
    ],
)
def test_a_pipeline_naming_one_workspace_project_is_about_it(tmp_path: Path, command: str) -> None:
    workflow = (
        "on: push\njobs:\n  release:\n    environment: production\n    steps:\n"
        f"      - run: {command}\n      - run: kubectl apply -f k8s/\n"
    )
    files = {
        ".github/workflows/release.yml": workflow,
        "nx.json": "{}",
        "services/orders/project.json": '{"name": "orders"}',
    }
    found = scan(tmp_path, files)
    assert annotations(found["orders"])["callboard.dev/environments"] == "production"
    assert "callboard.dev/environments" not in annotations(found["billing"])


@pytest.mark.parametrize(
    "command",
    [
        "npx nx affected -t deploy",
        "npx nx run-many -t deploy --projects=orders,billing",
        "npx turbo run deploy --filter=payments",
    ],
)
def test_a_pipeline_naming_several_or_unknown_projects_is_about_the_repository(tmp_path: Path, command: str) -> None:
    workflow = f"on: push\njobs:\n  release:\n    environment: production\n    steps:\n      - run: {command}\n"
    found = scan(tmp_path, {".github/workflows/release.yml": workflow})
    assert annotations(found["orders"])["callboard.dev/environments"] == "production"
    assert annotations(found["billing"])["callboard.dev/environments"] == "production"


def test_nx_projects_are_components_and_their_deploy_target_is_theirs(tmp_path: Path) -> None:
    workflow = (
        "on: push\njobs:\n  d:\n    environment: production\n    steps:\n      - run: npx nx run checkout:deploy\n"
    )
    files = {
        "nx.json": '{"npmScope": "acme"}',
        "apps/checkout/project.json": '{"name": "checkout", "projectType": "application", "targets": {}}',
        "libs/ui/project.json": '{"name": "ui", "projectType": "library"}',
        ".github/workflows/deploy.yml": workflow,
    }
    found = scan(tmp_path, files)
    assert found["checkout"]["spec"]["type"] == "service"
    assert found["checkout"]["spec"]["lifecycle"] == "production"
    assert found["ui"]["spec"]["type"] == "library"
    assert "callboard.dev/environments" not in annotations(found["ui"])


def test_a_reusable_workflow_deploys_for_the_folder_its_caller_is_about(tmp_path: Path) -> None:
    reusable = (
        "on:\n  workflow_call:\n    inputs: {service: {type: string}}\njobs:\n  deploy:\n"
        "    environment: production\n    steps:\n      - run: helm upgrade --install ${{ inputs.service }} chart/\n"
    )
    caller = (
        "on:\n  push:\n    paths: ['services/orders/**']\njobs:\n  deploy:\n"
        "    uses: ./.github/workflows/deploy.yml\n    with: {service: orders}\n"
    )
    files = {".github/workflows/deploy.yml": reusable, ".github/workflows/orders.yml": caller}
    found = scan(tmp_path, files)
    assert found["orders"]["spec"]["lifecycle"] == "production"
    assert annotations(found["orders"])["callboard.dev/environments"] == "production"
    assert "callboard.dev/environments" not in annotations(found["billing"])  # not every component's deploy
