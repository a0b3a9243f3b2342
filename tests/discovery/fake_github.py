"""A local stand-in for GitHub's REST API, enough for discovery: an organisation's repositories (paged),
git trees and blobs read from real clones on disk, ETags with 304 answers, the rate-limit headers, and the
calls that open a pull request. It counts the requests GitHub would count."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


class FakeGithub:
    def __init__(self, org: str, root: Path, *, limit: int = 5000, archived: set[str] | None = None) -> None:
        self.org = org
        self.root = root
        self.remaining = limit
        self.archived = archived or set()
        self.counted = 0  # requests answered with a body
        self.free = 0  # 304s
        self.pulls: list[dict[str, Any]] = []
        self.contents: dict[tuple[str, str, str], str] = {}
        self.refs: dict[tuple[str, str], str] = {}
        self.commits = 0  # files written through the contents API (an update writes one)
        self.app = self._build()

    def _answer(self, request: Request, body: Any) -> Response:
        etag = '"' + hashlib.sha1(json.dumps(body, sort_keys=True).encode(), usedforsecurity=False).hexdigest() + '"'
        if request.headers.get("if-none-match") == etag:
            self.free += 1
            return Response(status_code=304, headers={"ETag": etag, "X-RateLimit-Remaining": str(self.remaining)})
        if self.remaining <= 0:
            return JSONResponse({"message": "API rate limit exceeded"}, 403, {"X-RateLimit-Remaining": "0"})
        self.remaining -= 1
        self.counted += 1
        return JSONResponse(body, headers={"ETag": etag, "X-RateLimit-Remaining": str(self.remaining)})

    def _repo(self, name: str) -> Path:
        return self.root / name

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/orgs/{org}/repos")
        def repos(org: str, request: Request, page: int = 1, per_page: int = 30) -> Response:
            names = sorted(p.name for p in self.root.iterdir() if (p / ".git").is_dir())
            chosen = names[(page - 1) * per_page : page * per_page]
            body = [
                {
                    "name": n,
                    "full_name": f"{org}/{n}",
                    "html_url": f"https://github.com/{org}/{n}",
                    "default_branch": "main",
                    "archived": n in self.archived,
                    "description": None,
                }
                for n in chosen
            ]
            return self._answer(request, body)

        @app.get("/repos/{owner}/{repo}/git/trees/{branch}")
        def tree(owner: str, repo: str, branch: str, request: Request) -> Response:
            folder = self._repo(repo)
            entries = []
            for line in _git(folder, "ls-tree", "-r", branch).splitlines():
                meta, path = line.split("\t", 1)
                _, kind, sha = meta.split()
                entries.append({"path": path, "type": kind, "sha": sha})
            sha = _git(folder, "rev-parse", f"{branch}^{{tree}}").strip()
            return self._answer(request, {"sha": sha, "tree": entries, "truncated": False})

        @app.get("/repos/{owner}/{repo}/tags")
        def tags(owner: str, repo: str, request: Request, per_page: int = 30) -> Response:
            # GET /repos/{owner}/{repo}/tags, shaped as GitHub documents it (newest first).
            folder = self._repo(repo)
            shape = "--format=%(refname:short) %(objectname)"
            listed = _git(folder, "for-each-ref", "--sort=-creatordate", shape, "refs/tags")
            body = [
                {
                    "name": name,
                    "commit": {"sha": sha, "url": f"https://api.github.com/repos/{owner}/{repo}/commits/{sha}"},
                    "zipball_url": f"https://api.github.com/repos/{owner}/{repo}/zipball/{name}",
                    "tarball_url": f"https://api.github.com/repos/{owner}/{repo}/tarball/{name}",
                    "node_id": "MDM6UmVmcmVmcy90YWdzL3YwLjE=",
                }
                for name, sha in (line.split(" ", 1) for line in listed.splitlines() if line)
            ][: min(per_page, 100)]
            return self._answer(request, body)

        @app.get("/repos/{owner}/{repo}/git/blobs/{sha}")
        def blob(owner: str, repo: str, sha: str, request: Request) -> Response:
            data = subprocess.run(
                ["git", "-C", str(self._repo(repo)), "cat-file", "blob", sha], capture_output=True, check=True
            ).stdout
            return self._answer(request, {"sha": sha, "encoding": "base64", "content": base64.b64encode(data).decode()})

        @app.get("/repos/{owner}/{repo}/git/ref/heads/{branch}")
        def ref(owner: str, repo: str, branch: str) -> Response:
            return JSONResponse({"object": {"sha": _git(self._repo(repo), "rev-parse", branch).strip()}})

        @app.post("/repos/{owner}/{repo}/git/refs")
        async def create_ref(owner: str, repo: str, request: Request) -> Response:
            body = await request.json()
            key = (repo, body["ref"])
            if key in self.refs:
                return JSONResponse({"message": "Reference already exists"}, 422)
            self.refs[key] = body["sha"]
            return JSONResponse({"ref": body["ref"]}, 201)

        @app.get("/repos/{owner}/{repo}/contents/{path:path}")
        def get_content(owner: str, repo: str, path: str, ref: str = "main") -> Response:
            if (repo, ref, path) not in self.contents:
                return JSONResponse({"message": "Not Found"}, 404)
            text = self.contents[(repo, ref, path)]
            content = base64.b64encode(text.encode()).decode()
            return JSONResponse({"sha": "abc", "path": path, "encoding": "base64", "content": content})

        @app.put("/repos/{owner}/{repo}/contents/{path:path}")
        async def put_content(owner: str, repo: str, path: str, request: Request) -> Response:
            body = await request.json()
            self.contents[(repo, body["branch"], path)] = base64.b64decode(body["content"]).decode()
            self.commits += 1
            return JSONResponse({"content": {"path": path}}, 201)

        @app.post("/repos/{owner}/{repo}/pulls")
        async def pull(owner: str, repo: str, request: Request) -> Response:
            body = await request.json()
            if any(p["repo"] == repo and p["head"] == body["head"] and p["state"] == "open" for p in self.pulls):
                # What GitHub answers for a second pull request from the same branch.
                message = f"A pull request already exists for {owner}:{body['head']}."
                return JSONResponse({"message": "Validation Failed", "errors": [{"message": message}]}, 422)
            number = len(self.pulls) + 1
            self.pulls.append({**body, "repo": repo, "number": number, "state": "open"})
            return JSONResponse({"number": number, "html_url": f"https://github.com/{owner}/{repo}/pull/{number}"}, 201)

        @app.get("/repos/{owner}/{repo}/pulls")
        def pulls(owner: str, repo: str, head: str = "", state: str = "open") -> Response:
            branch = head.split(":", 1)[-1]
            found = [p for p in self.pulls if p["repo"] == repo and p["state"] == state and p["head"] == branch]
            return JSONResponse(
                [{**p, "html_url": f"https://github.com/{owner}/{repo}/pull/{p['number']}"} for p in found]
            )

        @app.patch("/repos/{owner}/{repo}/pulls/{number}")
        async def update_pull(owner: str, repo: str, number: int, request: Request) -> Response:
            body = await request.json()
            for found in self.pulls:
                if found["repo"] == repo and found["number"] == number:
                    found.update(body)
            return JSONResponse({"number": number})

        return app
