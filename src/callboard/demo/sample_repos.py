"""Realistic repositories for the inferred catalog: the demo scans them, the tests and the benchmark score
discovery against what a person reading them would say they are.

Each repository is written as a git clone (one commit, an ``origin`` on a made-up GitHub organisation) and
comes with the entities expected from it (``sample_repo_specs.py``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from callboard.demo.sample_repo_specs import ORG, Expected, SampleRepo, repository_specs

__all__ = ["Expected", "SampleRepo", "sample_repos", "write_repository", "write_sample_repos"]


def sample_repos() -> list[SampleRepo]:
    return repository_specs()


def _git(args: list[str], cwd: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "demo",
        "GIT_AUTHOR_EMAIL": "demo@acme.example",
        "GIT_COMMITTER_NAME": "demo",
        "GIT_COMMITTER_EMAIL": "demo@acme.example",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def write_repository(root: Path, repo: SampleRepo, name: str | None = None) -> Path:
    """``repo`` as a git clone in ``root/<name>`` with one commit and a GitHub origin."""
    name = name or repo.name
    folder = root / name
    for path, text in repo.files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, "utf-8")
    _git(["init", "-q", "-b", "main"], folder)
    _git(["add", "-A"], folder)
    _git(["commit", "-q", "-m", "Initial commit"], folder)
    _git(["remote", "add", "origin", f"git@github.com:{ORG}/{name}.git"], folder)
    return folder


def write_sample_repos(
    root: Path, *, copies: int = 1, progress: Callable[[int], None] | None = None
) -> dict[str, Expected]:
    """Write the sample repositories (``copies`` of each, renamed, for timing scans of many) and return the
    entities expected from the first copy, by ref."""
    root.mkdir(parents=True, exist_ok=True)
    expected: dict[str, Expected] = {}
    for copy in range(copies):
        for repo in repository_specs():
            renamed = repo if copy == 0 else _renamed(repo, copy)
            write_repository(root, renamed)
            if copy == 0:
                expected.update({item.ref: item for item in repo.expected})
            if progress:
                progress(1)
    return expected


def _renamed(repo: SampleRepo, copy: int) -> SampleRepo:
    """A copy of a repository whose own name carries a suffix (its entities' names mostly do too)."""
    return SampleRepo(
        f"{repo.name}-{copy}", {p: t.replace(repo.name, f"{repo.name}-{copy}") for p, t in repo.files.items()}
    )
