"""The Kubernetes manifests (deploy/kubernetes: a Kustomize base and a production overlay), rendered with
`kubectl kustomize` and checked as a cluster would rely on them: probes on the health routes, the config from the
generated ConfigMap, secrets from the Secret, selectors that match, a disruption budget, a non-root user, and an
app-config that Callboard accepts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from callboard.assembly import create_callboard
from callboard.settings import load_settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"


def _render(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl renders the manifests (apt-get install kubernetes-client; .ci/run installs it)"
    done = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in yaml.safe_load_all(done.stdout) if doc}


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def rendered(request: pytest.FixtureRequest) -> dict[tuple[str, str], dict[str, Any]]:
    return _render(DEPLOY / str(request.param))


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(container)


def test_web_replicas_serve_with_probes_on_the_health_routes(rendered: dict[tuple[str, str], Any]) -> None:
    web = _container(rendered[("Deployment", "callboard-web")])
    assert web["args"] == ["--no-worker"]  # the image's entry point is `callboard serve`
    assert web["readinessProbe"]["httpGet"]["path"] == "/.backstage/health/v1/readiness"
    assert web["livenessProbe"]["httpGet"]["path"] == "/.backstage/health/v1/liveness"
    assert web["ports"] == [{"name": "http", "containerPort": 7007}]
    assert rendered[("Deployment", "callboard-web")]["spec"]["replicas"] >= 2


def test_one_worker_runs_the_background_work(rendered: dict[tuple[str, str], Any]) -> None:
    worker = _container(rendered[("Deployment", "callboard-worker")])
    assert worker["command"][:2] == ["callboard", "worker"]
    assert "ports" not in worker


def test_config_comes_from_the_generated_configmap_and_secrets_from_the_secret(
    rendered: dict[tuple[str, str], Any],
) -> None:
    configmap = next(doc for (kind, _), doc in rendered.items() if kind == "ConfigMap")
    for name in ("callboard-web", "callboard-worker"):
        pod = rendered[("Deployment", name)]["spec"]["template"]["spec"]
        container = _container(rendered[("Deployment", name)])
        assert container["envFrom"] == [{"secretRef": {"name": "callboard-secrets"}}]
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert volumes["config"]["configMap"]["name"] == configmap["metadata"]["name"]  # the hashed name
        mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
        assert mounts["/etc/callboard"]["readOnly"] is True
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        assert container["securityContext"]["readOnlyRootFilesystem"] is True and "/tmp" in mounts


def test_selectors_match_and_a_disruption_budget_keeps_one_web_replica(rendered: dict[tuple[str, str], Any]) -> None:
    pod_labels = rendered[("Deployment", "callboard-web")]["spec"]["template"]["metadata"]["labels"]
    service = rendered[("Service", "callboard")]["spec"]
    budget = rendered[("PodDisruptionBudget", "callboard-web")]["spec"]
    for selector in (service["selector"], budget["selector"]["matchLabels"]):
        assert selector.items() <= pod_labels.items()
    assert budget["minAvailable"] == 1
    assert service["ports"][0]["targetPort"] == "http"


def test_the_production_overlay_pins_the_image_and_scales_the_web() -> None:
    rendered = _render(DEPLOY / "overlays" / "production")
    for name in ("callboard-web", "callboard-worker"):
        assert _container(rendered[("Deployment", name)])["image"] == "registry.example.com/platform/callboard:0.2.0"
        assert rendered[("Deployment", name)]["metadata"]["namespace"] == "callboard"
    assert rendered[("Deployment", "callboard-web")]["spec"]["replicas"] == 3


def test_the_app_config_it_ships_is_one_callboard_accepts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = _render(DEPLOY / "base")
    configmap = next(doc for (kind, _), doc in rendered.items() if kind == "ConfigMap")
    path = tmp_path / "app-config.yaml"
    path.write_text(configmap["data"]["app-config.yaml"], "utf-8")
    example = yaml.safe_load((DEPLOY / "base" / "secret.example.yaml").read_text("utf-8"))
    for key, value in example["stringData"].items():
        monkeypatch.setenv(key, value)
    callboard = create_callboard(load_settings([path]))
    assert callboard.settings.backend.database["connection"] == example["stringData"]["CALLBOARD_DATABASE_URL"]
