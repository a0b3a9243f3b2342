"""GitLab's REST API v4 as the GitLab CI plugin uses it: a project (by its URL-encoded path), its pipelines
(filtered by ref, paged), one pipeline, its jobs by stage, and retrying a pipeline's failed jobs. Payloads
follow docs.gitlab.com/api/pipelines and /api/jobs examples. Any ``group/project`` exists, its history
generated from its path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callboard.standins.base import Vendor, error, iso, number, seeded, sha

STAGES = (("lint", "build"), ("test", "test"), ("build-image", "build"), ("deploy-staging", "deploy"))
REFS = ("main", "main", "main", "feature/label-preview", "fix/customs-codes")
PEOPLE = (("Amara Okafor", "aokafor"), ("Lena Fischer", "lfischer"), ("Tom Becker", "tbecker"))
RETRY_PHASE_SECONDS = 3.0


@dataclass
class Pipeline:
    id: int
    iid: int
    ref: str
    sha: str
    user: tuple[str, str]
    created: float
    duration: float
    status: str
    source: str = "push"
    retried_at: float | None = None


@dataclass
class Project:
    path: str
    id: int
    default_branch: str = "main"
    pipelines: list[Pipeline] = field(default_factory=list)


class GitLab(Vendor):
    name = "gitlab"

    def __init__(self) -> None:
        super().__init__()
        self.projects: dict[str, Project] = {}
        self.retries: list[tuple[str, int]] = []

    def credential(self, request: Request) -> str:
        token = request.headers.get("private-token")
        if token:
            return token
        return request.headers.get("authorization", "").removeprefix("Bearer ")

    def unauthorised(self) -> Response:
        return error(401, {"message": "401 Unauthorized"})

    def limited(self) -> Response:
        wait = int(self.limited_until - self.clock()) + 1
        headers = {
            "Retry-After": str(wait),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(self.limited_until)),
        }
        return Response("Retry later\n", status_code=429, headers=headers, media_type="text/plain")

    def project(self, path: str) -> Project:
        key = path.lower()
        with self.lock:
            found = self.projects.get(key)
            if found is None:
                found = self.projects[key] = Project(path, number("project", key, digits=6))
                found.pipelines = self._history(found)
            return found

    def _history(self, project: Project) -> list[Pipeline]:
        pick = seeded("gitlab", project.path.lower())
        now = self.clock()
        found = []
        for index in range(12):
            failed = pick.random() < (0.4 if index == 0 else 0.15)
            found.append(
                Pipeline(
                    id=number("pipeline", project.path, str(index), digits=7),
                    iid=300 - index,
                    ref=pick.choice(REFS),
                    sha=sha(project.path, str(index)),
                    user=pick.choice(PEOPLE),
                    created=now - index * 7200 - 900 - pick.randint(60, 1800),  # finished before now
                    duration=pick.randint(120, 900),
                    status="failed" if failed else "success",
                )
            )
        return found

    def state(self, pipeline: Pipeline) -> tuple[str, float]:
        """(status, updated) now: a retried pipeline is pending, then running, then succeeds."""
        if pipeline.retried_at is None:
            return pipeline.status, pipeline.created + pipeline.duration
        elapsed = self.clock() - pipeline.retried_at
        if elapsed < RETRY_PHASE_SECONDS:
            return "pending", pipeline.retried_at
        if elapsed < 2 * RETRY_PHASE_SECONDS:
            return "running", pipeline.retried_at + RETRY_PHASE_SECONDS
        return "success", pipeline.retried_at + 2 * RETRY_PHASE_SECONDS

    def pipeline_json(self, project: Project, pipeline: Pipeline, *, detail: bool = False) -> dict[str, Any]:
        status, updated = self.state(pipeline)
        web = f"https://gitlab.com/{project.path}/-/pipelines/{pipeline.id}"
        body: dict[str, Any] = {
            "id": pipeline.id,
            "iid": pipeline.iid,
            "project_id": project.id,
            "sha": pipeline.sha,
            "ref": pipeline.ref,
            "status": status,
            "source": pipeline.source,
            "created_at": iso(pipeline.created),
            "updated_at": iso(updated),
            "web_url": web,
        }
        if detail:
            finished = status in ("success", "failed", "canceled")
            body.update(
                {
                    "before_sha": "0" * 40,
                    "tag": False,
                    "yaml_errors": None,
                    "user": {
                        "id": number("user", pipeline.user[1], digits=5),
                        "name": pipeline.user[0],
                        "username": pipeline.user[1],
                        "state": "active",
                        "web_url": f"https://gitlab.com/{pipeline.user[1]}",
                    },
                    "started_at": iso(pipeline.retried_at or pipeline.created),
                    "finished_at": iso(updated) if finished else None,
                    "committed_at": None,
                    "duration": int(pipeline.duration) if finished else None,
                    "queued_duration": 2,
                    "coverage": None,
                    "detailed_status": {"text": status, "label": status, "group": status},
                }
            )
        return body

    def jobs_json(self, project: Project, pipeline: Pipeline) -> list[dict[str, Any]]:
        status, _ = self.state(pipeline)
        share = pipeline.duration / len(STAGES)
        start = pipeline.retried_at or pipeline.created
        jobs = []
        for index, (name, stage) in enumerate(STAGES):
            if status == "failed":
                job_status = "failed" if name == "test" else ("skipped" if index > 1 else "success")
            elif status in ("pending", "running"):
                job_status = status if index == 0 else "created"
            else:
                job_status = status
            done = job_status in ("success", "failed")
            jobs.append(
                {
                    "id": pipeline.id * 10 + index,
                    "status": job_status,
                    "stage": stage,
                    "name": name,
                    "ref": pipeline.ref,
                    "tag": False,
                    "allow_failure": False,
                    "created_at": iso(start),
                    "started_at": iso(start + index * share) if done else None,
                    "finished_at": iso(start + (index + 1) * share) if done else None,
                    "duration": share if done else None,
                    "web_url": f"https://gitlab.com/{project.path}/-/jobs/{pipeline.id * 10 + index}",
                    "user": {"name": pipeline.user[0], "username": pipeline.user[1]},
                    "pipeline": {
                        "id": pipeline.id,
                        "project_id": project.id,
                        "ref": pipeline.ref,
                        "sha": pipeline.sha,
                        "status": status,
                    },
                }
            )
        return jobs

    # -- routes -------------------------------------------------------------------------------------------------

    def app(self) -> Starlette:
        guarded = self.guarded
        return Starlette(
            routes=[
                Route(
                    "/api/v4/projects/{project:path}/pipelines/{pipeline:int}/jobs", guarded(self.jobs), methods=["GET"]
                ),
                Route(
                    "/api/v4/projects/{project:path}/pipelines/{pipeline:int}/retry",
                    guarded(self.retry),
                    methods=["POST"],
                ),
                Route(
                    "/api/v4/projects/{project:path}/pipelines/{pipeline:int}", guarded(self.pipeline), methods=["GET"]
                ),
                Route("/api/v4/projects/{project:path}/pipelines", guarded(self.pipelines), methods=["GET"]),
                Route("/api/v4/projects/{project:path}", guarded(self.project_info), methods=["GET"]),
                Route("/api/v4/personal_access_tokens/self", guarded(self.token_self), methods=["GET"]),
            ]
        )

    async def project_info(self, request: Request) -> Response:
        project = self.project(request.path_params["project"])
        return JSONResponse(
            {
                "id": project.id,
                "name": project.path.rsplit("/", 1)[-1],
                "path_with_namespace": project.path,
                "default_branch": project.default_branch,
                "web_url": f"https://gitlab.com/{project.path}",
            }
        )

    async def pipelines(self, request: Request) -> Response:
        project = self.project(request.path_params["project"])
        params = request.query_params
        found = sorted(project.pipelines, key=lambda p: -p.created)
        if params.get("ref"):
            found = [p for p in found if p.ref == params["ref"]]
        if params.get("status"):
            found = [p for p in found if self.state(p)[0] == params["status"]]
        per_page = min(100, int(params.get("per_page", "20")))
        page = max(1, int(params.get("page", "1")))
        shown = found[(page - 1) * per_page : page * per_page]
        headers = {"X-Total": str(len(found)), "X-Page": str(page), "X-Per-Page": str(per_page)}
        return JSONResponse([self.pipeline_json(project, p) for p in shown], headers=headers)

    def _pipeline(self, request: Request) -> tuple[Project, Pipeline] | None:
        project = self.project(request.path_params["project"])
        found = next((p for p in project.pipelines if p.id == request.path_params["pipeline"]), None)
        return (project, found) if found is not None else None

    async def pipeline(self, request: Request) -> Response:
        found = self._pipeline(request)
        if found is None:
            return error(404, {"message": "404 Not found"})
        return JSONResponse(self.pipeline_json(*found, detail=True))

    async def jobs(self, request: Request) -> Response:
        found = self._pipeline(request)
        if found is None:
            return error(404, {"message": "404 Not found"})
        return JSONResponse(self.jobs_json(*found))

    async def retry(self, request: Request) -> Response:
        found = self._pipeline(request)
        if found is None:
            return error(404, {"message": "404 Not found"})
        project, pipeline = found
        with self.lock:
            pipeline.retried_at = self.clock()
            self.retries.append((project.path, pipeline.id))
        return JSONResponse(self.pipeline_json(project, pipeline, detail=True), status_code=201)

    async def token_self(self, request: Request) -> Response:
        return JSONResponse(
            {
                "id": 42,
                "name": "callboard",
                "revoked": False,
                "active": True,
                "scopes": ["read_api", "api"],
                "expires_at": None,
            }
        )
