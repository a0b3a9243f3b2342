"""A stand-in for Argo CD's REST API: ``GET /api/v1/applications`` with a bearer token, answering applications
shaped like Argo CD's documented ``v1alpha1.ApplicationList`` (as ``argocd app list -o json`` shows them)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Header, HTTPException

TOKEN = "argocd-token-for-tests"
#: The token the stand-in accepts now (a test rotates it).
ACCEPTED = {"token": TOKEN}


def application(
    name: str,
    *,
    cluster: str,
    namespace: str,
    image: str,
    revision: str,
    health: str = "Healthy",
    sync: str = "Synced",
    labels: dict[str, str] | None = None,
    deployed_at: str = "2026-01-01T09:30:00Z",
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "argocd", "labels": labels or {}},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://github.com/acme/deploy.git", "path": name, "targetRevision": "HEAD"},
            "destination": cluster_destination(cluster) | {"namespace": namespace},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
        "status": {
            "sync": {
                "status": sync,
                "revision": revision,
                "comparedTo": {"source": {"repoURL": "https://github.com/acme/deploy.git"}},
            },
            "health": {"status": health},
            "summary": {"images": [image]},
            "history": [
                {
                    "id": 7,
                    "revision": revision,
                    "deployedAt": deployed_at,
                    "source": {"repoURL": "https://github.com/acme/deploy.git"},
                }
            ],
            "operationState": {
                "phase": "Succeeded",
                "finishedAt": deployed_at,
                "operation": {"sync": {"revision": revision}, "initiatedBy": {"username": "release-bot"}},
            },
            "reconciledAt": deployed_at,
        },
    }


def cluster_destination(cluster: str) -> dict[str, str]:
    return {"server": cluster} if cluster.startswith("https://") else {"name": cluster}


def create_app(applications: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/applications")
    def list_applications(authorization: str = Header(default="")) -> dict[str, Any]:
        if authorization != f"Bearer {ACCEPTED['token']}":
            raise HTTPException(401, {"error": "invalid session: token signature is invalid", "code": 16})
        return {"metadata": {"resourceVersion": "123456"}, "items": list(applications)}

    return app
