"""A GitHub organisation as a discovery source, read through GitHub's REST API.

Every request is conditional (``If-None-Match`` with the ETag of the last answer, kept in a small cache
file): GitHub answers an unchanged list or tree with 304, which does not count against the rate limit. A
repository's revision is its tree's SHA, so an unchanged repository costs one 304 and no file reads. Files
are read as blobs by SHA, cached by SHA, so a change re-reads only what changed. When fewer than
``reserve`` requests remain in the rate-limit window, the remaining repositories are deferred to the next
run (their last entities stay; they are not reported missing).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from callboard.core.errors import InputError
from callboard.discovery.model import Repository

log = logging.getLogger(__name__)

#: Files detectors read, by name or ending; other blobs are never fetched.
WANTED = (
    "pyproject.toml",
    "setup.cfg",
    "package.json",
    "go.mod",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Cargo.toml",
    "Dockerfile",
    "Containerfile",
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yml",
    "compose.yaml",
    "Chart.yaml",
    "kustomization.yaml",
    "CODEOWNERS",
    "mkdocs.yml",
    "mkdocs.yaml",
    "README.md",
    "Jenkinsfile",
    ".gitlab-ci.yml",
    "catalog-info.yaml",
    "catalog-info.yml",
    "tsconfig.json",
    # The other stacks' files (``builtins/detectors/stacks.py``, ``docs.py``, ``releases.py``).
    "setup.py",
    "manage.py",
    "wsgi.py",
    "asgi.py",
    "conf.py",
    "Gemfile",
    "composer.json",
    "build.sbt",
    "mix.exs",
    "book.toml",
    "Fastfile",
    "README.rst",
    "README",
    "readme.md",
    "CHANGELOG.md",
    "CHANGELOG.rst",
    "CHANGES.md",
    "CHANGES.rst",
    "HISTORY.md",
    "HISTORY.rst",
    ".gemspec",
    ".csproj",
    ".yaml",
    ".yml",
    ".json",
    ".graphql",
    ".graphqls",
    ".gql",
    ".proto",
    ".go",
    ".rs",
    ".tf",
)


class RateLimited(Exception):
    pass


class GithubError(InputError):
    """GitHub refused a request; ``status`` is its HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class GithubOrganisation:
    def __init__(
        self,
        organisation: str,
        *,
        api_base: str = "https://api.github.com",
        web_base: str = "https://github.com",
        token: str | None = None,
        cache_dir: Path,
        reserve: int = 100,
        client: httpx.Client | None = None,
    ) -> None:
        self.organisation = organisation
        self.api_base = api_base.rstrip("/")
        self.web_base = web_base.rstrip("/")
        self.reserve = reserve
        self._owned = client is None
        self._client = client or httpx.Client(timeout=30)
        self._headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._cache_dir = cache_dir
        self._etags_file = cache_dir / f"{organisation}-etags.json"
        self._etags: dict[str, list[Any]] = {}
        self.requests = 0  # answered with a body (counted by GitHub)
        self.not_modified = 0  # answered 304 (free)
        self.remaining: int | None = None

    def _get(self, path: str) -> Any:
        url = f"{self.api_base}{path}"
        if self.remaining is not None and self.remaining < self.reserve:
            raise RateLimited(f"{self.remaining} requests left in this rate-limit window")
        headers = dict(self._headers)
        cached = self._etags.get(url)
        if cached:
            headers["If-None-Match"] = cached[0]
        response = self._client.get(url, headers=headers)
        if "X-RateLimit-Remaining" in response.headers:
            self.remaining = int(response.headers["X-RateLimit-Remaining"])
        if response.status_code == 304 and cached:
            self.not_modified += 1
            return cached[1]
        if response.status_code in (403, 429) and self.remaining == 0:
            raise RateLimited("the rate limit is used up until " + response.headers.get("X-RateLimit-Reset", "?"))
        if response.status_code == 404:
            raise GithubError(
                f"GitHub has no {path} (HTTP 404): check the organisation name and the token's access", 404
            )
        if response.status_code >= 400:
            raise GithubError(
                f"GitHub answered {response.status_code} for {path}: {response.text[:200]}", response.status_code
            )
        self.requests += 1
        body = response.json()
        if response.headers.get("ETag"):
            self._etags[url] = [response.headers["ETag"], body]
        return body

    def _blob(self, owner_repo: str, sha: str) -> str | None:
        """A file's text by blob SHA, from the disk cache or the API (once per SHA, ever)."""
        cached = self._cache_dir / "blobs" / sha[:2] / sha
        if cached.is_file():
            return cached.read_text("utf-8", errors="replace")
        try:
            body = self._get(f"/repos/{owner_repo}/git/blobs/{sha}")
        except RateLimited:
            return None
        data = base64.b64decode(body.get("content") or "")
        if len(data) > 1024 * 1024:
            return None
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(data)
        return data.decode("utf-8", errors="replace")

    def repositories(self) -> Iterator[Repository]:
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        if self._etags_file.is_file():
            self._etags = json.loads(self._etags_file.read_text("utf-8"))
        try:
            listed: list[dict[str, Any]] = []
            page = 1
            while True:
                batch = self._get(f"/orgs/{self.organisation}/repos?per_page=100&page={page}&type=all")
                listed += batch
                if len(batch) < 100:
                    break
                page += 1
            for item in listed:
                yield self._repository(item)
        finally:
            self._etags_file.write_text(json.dumps(self._etags), "utf-8")
            if self._owned:
                self._client.close()

    def _repository(self, item: dict[str, Any]) -> Repository:
        full_name = str(item["full_name"])
        branch = str(item.get("default_branch") or "main")
        web = str(item.get("html_url") or f"{self.web_base}/{full_name}")
        base = Repository(
            name=full_name,
            root=self._cache_dir,
            revision="",
            web_url=web,
            branch=branch,
            archived=bool(item.get("archived")),
            location=f"url:{web}/blob/{branch}",
            facts={"description": item.get("description"), "topics": item.get("topics") or []},
        )
        try:
            tree = self._get(f"/repos/{full_name}/git/trees/{branch}?recursive=1")
        except RateLimited as limited:
            log.info("deferring %s: %s", full_name, limited)
            base.deferred = True
            return base
        except GithubError as error:
            if error.status in (404, 409):  # an empty repository has no tree
                base.listing, base.read, base.revision = [], lambda path: None, "empty"
            else:  # this repository keeps its last entities; the others are read as usual
                base.deferred, base.facts["error"] = True, error.message
            return base
        blobs = {entry["path"]: entry["sha"] for entry in tree.get("tree") or [] if entry.get("type") == "blob"}
        base.listing = sorted(blobs)
        base.revision = hashlib.sha256(f"{tree.get('sha')}:{item.get('archived')}".encode()).hexdigest()[:40]

        def read(path: str) -> str | None:
            name = path.rsplit("/", 1)[-1]
            if path not in blobs or not (
                name in WANTED or name.endswith(tuple(w for w in WANTED if w.startswith(".")))
            ):
                return None
            return self._blob(full_name, blobs[path])

        base.read = read
        base.list_tags = partial(self._tags, full_name)
        return base

    def _tags(self, full_name: str) -> list[str]:
        """Its newest tags (one page: enough to tell released code), asked for only when it is read."""
        try:
            return [str(tag.get("name")) for tag in self._get(f"/repos/{full_name}/tags?per_page=100")]
        except (RateLimited, GithubError) as error:
            log.info("no tags of %s: %s", full_name, error)
            return []
