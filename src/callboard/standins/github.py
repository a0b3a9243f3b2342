"""GitHub's REST API as the GitHub Actions plugin uses it: a repository, its workflows, workflow runs (filtered by
branch, by workflow, paged), a run's jobs with their steps, re-running a run, and a GitHub App's installations
and installation tokens. Payloads follow the shapes of docs.github.com/rest/actions examples.

Any ``owner/repo`` exists: its history is generated from its name, so every demo component has runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from callboard.standins.base import Vendor, error, iso, number, seeded, sha
from callboard.standins.github_org import GitHubOrgs

WORKFLOWS = (
    ("CI", ".github/workflows/ci.yml", ("lint", "test (3.12)", "build")),
    ("Deploy", ".github/workflows/deploy.yml", ("deploy-staging", "deploy-production")),
)
STEPS = ("Set up job", "Checkout", "Install dependencies", "Run", "Complete job")
BRANCHES = ("main", "main", "main", "feature/faster-quotes", "fix/retry-timeouts", "dependabot/pip/httpx-0.28")
ACTORS = ("amara-okafor", "lena-fischer", "tom-becker", "priya-nair", "dependabot[bot]")
#: After a re-run: queued for this long, then in progress for as long again, then completed.
RERUN_PHASE_SECONDS = 3.0


@dataclass
class Run:
    id: int
    workflow: int
    name: str
    path: str
    branch: str
    sha: str
    message: str
    actor: str
    number: int
    created: float
    duration: float
    conclusion: str
    event: str = "push"
    attempt: int = 1
    rerun_at: float | None = None
    jobs: tuple[str, ...] = ()


@dataclass
class Repository:
    owner: str
    name: str
    default_branch: str = "main"
    runs: list[Run] = field(default_factory=list)


class GitHub(Vendor):
    name = "github"

    def __init__(self) -> None:
        super().__init__()
        self.repositories: dict[str, Repository] = {}
        #: GitHub Apps: app id to the public key their JWTs are checked with.
        self.app_keys: dict[str, str] = {}
        #: Installations: owner (lower-case) to installation id.
        self.installations: dict[str, int] = {}
        self.reruns: list[tuple[str, int]] = []
        #: Organisations' members and teams, for the GraphQL endpoint (``callboard.standins.github_org``).
        self.orgs = GitHubOrgs()

    def credential(self, request: Request) -> str:
        value = request.headers.get("authorization", "")
        return value.split(" ", 1)[1] if " " in value else value

    def unauthorised(self) -> Response:
        return error(
            401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}
        )

    def limited(self) -> Response:
        body = {
            "message": "API rate limit exceeded for installation. If you reach out to GitHub Support for help, "
            "please include the request ID.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        }
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(int(self.limited_until)),
        }
        return JSONResponse(body, status_code=403, headers=headers)

    # -- data -------------------------------------------------------------------------------------------------

    def repository(self, owner: str, name: str) -> Repository:
        key = f"{owner}/{name}".lower()
        with self.lock:
            found = self.repositories.get(key)
            if found is None:
                found = self.repositories[key] = Repository(owner, name, runs=self._history(owner, name))
            return found

    def _history(self, owner: str, name: str) -> list[Run]:
        pick = seeded("github", owner.lower(), name.lower())
        now = self.clock()
        runs = []
        for index in range(14):
            title, path, jobs = WORKFLOWS[0] if index % 3 else WORKFLOWS[1]
            branch = "main" if title == "Deploy" else pick.choice(BRANCHES)
            failed = pick.random() < (0.45 if index == 0 else 0.15)
            runs.append(
                Run(
                    id=number("run", owner, name, str(index)),
                    workflow=number("workflow", owner, name, path, digits=8),
                    name=title,
                    path=path,
                    branch=branch,
                    sha=sha(owner, name, str(index)),
                    message=pick.choice(
                        (
                            "Bump httpx to 0.28",
                            "Retry carrier timeouts once",
                            "Add quote cache",
                            "Fix flaky booking test",
                            "Update README",
                        )
                    ),
                    actor=pick.choice(ACTORS),
                    number=400 - index,
                    created=now - index * 5400 - 600 - pick.randint(60, 1800),  # finished before now
                    duration=pick.randint(90, 600),
                    conclusion="failure" if failed else "success",
                    jobs=jobs,
                )
            )
        return runs

    def status(self, run: Run) -> tuple[str, str | None, float]:
        """(status, conclusion, updated) of a run now: a re-run goes queued, in progress, then succeeds."""
        if run.rerun_at is None:
            return "completed", run.conclusion, run.created + run.duration
        elapsed = self.clock() - run.rerun_at
        if elapsed < RERUN_PHASE_SECONDS:
            return "queued", None, run.rerun_at
        if elapsed < 2 * RERUN_PHASE_SECONDS:
            return "in_progress", None, run.rerun_at + RERUN_PHASE_SECONDS
        return "completed", "success", run.rerun_at + 2 * RERUN_PHASE_SECONDS

    def run_json(self, repo: Repository, run: Run) -> dict[str, Any]:
        status, conclusion, updated = self.status(run)
        full = f"{repo.owner}/{repo.name}"
        html = f"https://github.com/{full}"
        return {
            "id": run.id,
            "name": run.name,
            "node_id": f"WFR_{run.id}",
            "head_branch": run.branch,
            "head_sha": run.sha,
            "path": run.path,
            "display_title": run.message,
            "run_number": run.number,
            "event": run.event,
            "status": status,
            "conclusion": conclusion,
            "workflow_id": run.workflow,
            "url": f"https://api.github.com/repos/{full}/actions/runs/{run.id}",
            "html_url": f"{html}/actions/runs/{run.id}",
            "created_at": iso(run.created),
            "updated_at": iso(updated),
            "run_attempt": run.attempt,
            "run_started_at": iso(run.rerun_at or run.created),
            "actor": {"login": run.actor, "id": number("user", run.actor, digits=7), "type": "User"},
            "triggering_actor": {"login": run.actor, "id": number("user", run.actor, digits=7), "type": "User"},
            "head_commit": {
                "id": run.sha,
                "tree_id": run.sha[::-1],
                "message": run.message,
                "timestamp": iso(run.created),
                "author": {"name": run.actor, "email": f"{run.actor}@users.noreply.github.com"},
            },
            "repository": {
                "id": number("repo", full, digits=8),
                "name": repo.name,
                "full_name": full,
                "html_url": html,
            },
        }

    def jobs_json(self, repo: Repository, run: Run) -> list[dict[str, Any]]:
        status, conclusion, _ = self.status(run)
        repo_url = f"https://github.com/{repo.owner}/{repo.name}"
        jobs = []
        start = run.rerun_at or run.created
        share = run.duration / max(1, len(run.jobs))
        for index, name in enumerate(run.jobs):
            failed_here = conclusion == "failure" and index == len(run.jobs) - 1
            job_conclusion = None if conclusion is None else ("failure" if failed_here else "success")
            steps = []
            for number_, step in enumerate(STEPS, start=1):
                step_failed = failed_here and step == "Run"
                skipped = failed_here and number_ > STEPS.index("Run") + 1 and step != "Complete job"
                steps.append(
                    {
                        "name": f"{step} {name}" if step == "Run" else step,
                        "status": status,
                        "conclusion": None
                        if job_conclusion is None
                        else ("failure" if step_failed else "skipped" if skipped else "success"),
                        "number": number_,
                        "started_at": iso(start + index * share + number_ * 5),
                        "completed_at": iso(start + index * share + number_ * 5 + 4) if status == "completed" else None,
                    }
                )
            jobs.append(
                {
                    "id": run.id * 10 + index,
                    "run_id": run.id,
                    "run_attempt": run.attempt,
                    "name": name,
                    "workflow_name": run.name,
                    "head_branch": run.branch,
                    "head_sha": run.sha,
                    "status": status,
                    "conclusion": job_conclusion,
                    "started_at": iso(start + index * share),
                    "completed_at": iso(start + (index + 1) * share) if status == "completed" else None,
                    "html_url": f"{repo_url}/actions/runs/{run.id}/job/{run.id * 10 + index}",
                    "steps": steps,
                }
            )
        return jobs

    # -- routes -----------------------------------------------------------------------------------------------

    def app(self) -> Starlette:
        guarded = self.guarded
        return Starlette(
            routes=[
                Route("/app/installations", self.installations_list, methods=["GET"]),
                Route("/app/installations/{installation:int}/access_tokens", self.access_token, methods=["POST"]),
                Route("/repos/{owner}/{repo}", guarded(self.repo), methods=["GET"]),
                Route("/repos/{owner}/{repo}/actions/workflows", guarded(self.workflows), methods=["GET"]),
                Route("/repos/{owner}/{repo}/actions/runs", guarded(self.runs), methods=["GET"]),
                Route("/repos/{owner}/{repo}/actions/workflows/{workflow}/runs", guarded(self.runs), methods=["GET"]),
                Route("/repos/{owner}/{repo}/actions/runs/{run:int}", guarded(self.run), methods=["GET"]),
                Route("/repos/{owner}/{repo}/actions/runs/{run:int}/jobs", guarded(self.jobs), methods=["GET"]),
                Route("/repos/{owner}/{repo}/actions/runs/{run:int}/rerun", guarded(self.rerun), methods=["POST"]),
                Route("/rate_limit", guarded(self.rate_limit), methods=["GET"]),
                Route("/graphql", guarded(self.orgs.graphql), methods=["POST"]),
            ]
        )

    async def repo(self, request: Request) -> Response:
        repo = self.repository(request.path_params["owner"], request.path_params["repo"])
        full = f"{repo.owner}/{repo.name}"
        return JSONResponse(
            {
                "id": number("repo", full, digits=8),
                "name": repo.name,
                "full_name": full,
                "private": True,
                "html_url": f"https://github.com/{full}",
                "default_branch": repo.default_branch,
            }
        )

    async def workflows(self, request: Request) -> Response:
        repo = self.repository(request.path_params["owner"], request.path_params["repo"])
        found = []
        for title, path, _ in WORKFLOWS:
            workflow = number("workflow", repo.owner, repo.name, path, digits=8)
            found.append(
                {
                    "id": workflow,
                    "node_id": f"W_{workflow}",
                    "name": title,
                    "path": path,
                    "state": "active",
                    "html_url": f"https://github.com/{repo.owner}/{repo.name}/blob/main/{path}",
                }
            )
        return JSONResponse({"total_count": len(found), "workflows": found})

    async def runs(self, request: Request) -> Response:
        repo = self.repository(request.path_params["owner"], request.path_params["repo"])
        query = request.query_params
        runs = sorted(repo.runs, key=lambda run: -run.created)
        workflow = request.path_params.get("workflow")
        if workflow:
            runs = [run for run in runs if workflow in (str(run.workflow), run.path.rsplit("/", 1)[-1])]
        if query.get("branch"):
            runs = [run for run in runs if run.branch == query["branch"]]
        if query.get("status"):
            runs = [run for run in runs if query["status"] in (self.status(run)[0], self.status(run)[1])]
        per_page = min(100, int(query.get("per_page", "30")))
        page = max(1, int(query.get("page", "1")))
        shown = runs[(page - 1) * per_page : page * per_page]
        return JSONResponse({"total_count": len(runs), "workflow_runs": [self.run_json(repo, run) for run in shown]})

    def _run(self, request: Request) -> tuple[Repository, Run] | None:
        repo = self.repository(request.path_params["owner"], request.path_params["repo"])
        run = next((run for run in repo.runs if run.id == request.path_params["run"]), None)
        return (repo, run) if run is not None else None

    async def run(self, request: Request) -> Response:
        found = self._run(request)
        if found is None:
            return error(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        return JSONResponse(self.run_json(*found))

    async def jobs(self, request: Request) -> Response:
        found = self._run(request)
        if found is None:
            return error(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        jobs = self.jobs_json(*found)
        return JSONResponse({"total_count": len(jobs), "jobs": jobs})

    async def rerun(self, request: Request) -> Response:
        found = self._run(request)
        if found is None:
            return error(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        repo, run = found
        if self.status(run)[0] != "completed":
            return error(
                403,
                {"message": "This workflow is already running", "documentation_url": "https://docs.github.com/rest"},
            )
        with self.lock:
            run.rerun_at = self.clock()
            run.attempt += 1
            self.reruns.append((f"{repo.owner}/{repo.name}", run.id))
        return Response(status_code=201)

    async def rate_limit(self, request: Request) -> Response:
        core = {"limit": 5000, "used": sum(self.calls.values()), "remaining": 5000, "reset": int(self.clock()) + 3600}
        return JSONResponse({"resources": {"core": core}, "rate": core})

    # -- GitHub Apps ------------------------------------------------------------------------------------------

    def _app_of(self, request: Request) -> str | None:
        value = request.headers.get("authorization", "")
        token = value.split(" ", 1)[1] if " " in value else ""
        for app_id, key in self.app_keys.items():
            try:
                claims = jwt.decode(token, key, algorithms=["RS256"], options={"require": ["iat", "exp", "iss"]})
            except jwt.PyJWTError:
                continue
            if str(claims["iss"]) == app_id:
                return app_id
        return None

    async def installations_list(self, request: Request) -> Response:
        with self.lock:
            self.calls[f"GET {request.url.path}"] += 1
        if self._app_of(request) is None:
            return error(
                401,
                {
                    "message": "A JSON web token could not be decoded",
                    "documentation_url": "https://docs.github.com/rest",
                },
            )
        found = [
            {"id": installation, "account": {"login": owner, "type": "Organization"}, "app_id": 1}
            for owner, installation in self.installations.items()
        ]
        return JSONResponse(found)

    async def access_token(self, request: Request) -> Response:
        with self.lock:
            self.calls[f"POST {request.url.path}"] += 1
        if self._app_of(request) is None:
            return error(
                401,
                {
                    "message": "A JSON web token could not be decoded",
                    "documentation_url": "https://docs.github.com/rest",
                },
            )
        if request.path_params["installation"] not in self.installations.values():
            return error(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        token = f"ghs_{secrets.token_urlsafe(27)}"
        with self.lock:
            self.credentials.add(token)
        expires = iso(self.clock() + 3600)
        return JSONResponse(
            {
                "token": token,
                "expires_at": expires,
                "permissions": {"actions": "write", "metadata": "read"},
                "repository_selection": "all",
            },
            status_code=201,
        )
