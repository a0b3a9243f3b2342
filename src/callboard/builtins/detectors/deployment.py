"""Kubernetes manifests, Helm charts and Kustomize: workloads that run, their names and namespaces."""

from __future__ import annotations

from typing import Any

from callboard.builtins.detectors.common import entity_name, folder, yaml_documents
from callboard.sdk import Fact, RepoView

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Rollout"}


class Deployments:
    id = "deployment"

    def detect(self, repo: RepoView) -> list[Fact]:
        facts: list[Fact] = []
        for path in repo.glob("*.yaml", "*.yml"):
            if (
                path.startswith(".github/")
                or "/templates/" in f"/{path}"
                or path.endswith(("docker-compose.yml", ".gitlab-ci.yml"))
            ):
                continue
            for document in yaml_documents(repo.text(path)):
                if isinstance(document, dict) and document.get("kind") in WORKLOADS and "apiVersion" in document:
                    facts += self._workload(path, document)
        for path in repo.glob("Chart.yaml"):
            for document in yaml_documents(repo.text(path)):
                if isinstance(document, dict) and document.get("name"):
                    name = entity_name(str(document["name"]))
                    rule = f"the Helm chart {document['name']!r} deploys it"
                    facts.append(Fact(f"name:{name}", "spec.type", "service", 0.8, path, rule))
                    facts.append(
                        Fact(f"name:{name}", "metadata.annotations.backstage.io/kubernetes-id", name, 0.7, path, rule)
                    )
                    facts.append(Fact("*", "deployment", name, 0.8, path, rule))
        for path in repo.glob("kustomization.yaml", "kustomization.yml"):
            facts.append(Fact(folder(path), "deployment", "kustomize", 0.6, path, "a Kustomize overlay"))
        return facts

    def _workload(self, path: str, document: dict[str, Any]) -> list[Fact]:
        metadata = document.get("metadata") or {}
        labels = metadata.get("labels") or {}
        name = entity_name(str(metadata.get("name") or ""))
        rule = f"{path} runs the {document['kind']} {metadata.get('name')!r}"
        target = f"name:{name}"
        facts = [
            Fact(target, "spec.type", "service", 0.8, path, rule),
            Fact("*", "deployment", name, 0.8, path, rule),
        ]
        kubernetes_id = labels.get("backstage.io/kubernetes-id")
        if kubernetes_id:
            facts.append(
                Fact(
                    target,
                    "metadata.annotations.backstage.io/kubernetes-id",
                    str(kubernetes_id),
                    0.95,
                    path,
                    f"{path} labels the workload backstage.io/kubernetes-id",
                )
            )
        else:
            facts.append(Fact(target, "metadata.annotations.backstage.io/kubernetes-id", name, 0.7, path, rule))
        if metadata.get("namespace"):
            facts.append(
                Fact(
                    target,
                    "metadata.annotations.backstage.io/kubernetes-namespace",
                    str(metadata["namespace"]),
                    0.8,
                    path,
                    f"{path} deploys into namespace {metadata['namespace']!r}",
                )
            )
        return facts
