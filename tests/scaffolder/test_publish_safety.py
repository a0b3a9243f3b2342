"""Actions that run git take their URLs and branch names from templates, which anyone registering a template
writes: nothing in them may become a git option, a local path or a remote helper unless configured."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from callboard.scaffolder.runner import Runner
from tests.scaffolder.git_server import GitServer
from tests.scaffolder.test_runner import ACTIONS, template
from tests.support import write


def _publish(tmp_path: Path, given: dict[str, Any], **options: Any) -> Any:
    write(tmp_path / "tpl" / "sk" / "README.md", "# svc\n")
    tpl = template(
        [
            {"id": "fetch", "action": "fetch:template", "input": {"url": "./sk"}},
            {"id": "publish", "action": "publish:git", "input": given},
        ],
        base=tmp_path / "tpl",
    )
    return Runner(ACTIONS, **options).run(tpl, {}, workspace=tmp_path / "ws", emit=lambda event: None)


@pytest.mark.parametrize(
    ("remote", "words"),
    [
        ("--dry-run", "git option"),
        ("-uhttps://example.com/x.git", "git option"),
        ("--upload-pack=touch /tmp/pwned", "git option"),
        ("ext::sh -c touch% /tmp/callboard-pwned", "remote helper"),
        ("fd::17", "remote helper"),
        ("file:///srv/git/team.git", "local"),
        ("/srv/git/team.git", "local"),
        ("../team.git", "local"),
        ("https://example.com/a b.git", "space"),
        ("https://example.com/x.git\n--dry-run", "control character"),
        ("gopher://example.com/x.git", "scheme"),
    ],
)
def test_remote_urls_that_are_not_remotes_are_refused(tmp_path: Path, remote: str, words: str) -> None:
    result = _publish(tmp_path, {"remoteUrl": remote})
    assert result.status == "failed"
    assert "remoteUrl" in result.error and words in result.error, result.error
    assert not Path("/tmp/callboard-pwned").exists()


def test_a_bare_repository_on_the_servers_disk_needs_configuration(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    refused = _publish(tmp_path, {"remoteUrl": str(bare)})
    assert refused.status == "failed" and "scaffolder.allowLocalGitRemotes" in refused.error
    allowed = _publish(tmp_path / "again", {"remoteUrl": str(bare)}, allow_local_remotes=True)
    assert allowed.status == "completed", allowed.error
    shown = subprocess.run(
        ["git", "-C", str(bare), "show", "main:README.md"], capture_output=True, text=True, check=True
    )
    assert shown.stdout == "# svc\n"


@pytest.mark.parametrize("branch", ["--force", "-b", "main..evil", "a b", "x:refs/heads/y", "bad~1", "end.lock", "@{"])
def test_branch_names_that_git_would_misread_are_refused(tmp_path: Path, branch: str) -> None:
    with GitServer(tmp_path / "git") as git:
        result = _publish(tmp_path, {"remoteUrl": f"{git.url}/team/svc.git", "defaultBranch": branch})
        assert result.status == "failed" and "defaultBranch" in result.error, result.error
        assert not (tmp_path / "git" / "team" / "svc.git").exists()


def test_an_ordinary_remote_still_works(tmp_path: Path) -> None:
    with GitServer(tmp_path / "git") as git:
        result = _publish(tmp_path, {"remoteUrl": f"{git.url}/team/svc.git", "defaultBranch": "release/2026-12"})
        assert result.status == "completed", result.error
        assert git.files("team/svc", branch="release/2026-12") == {"README.md": "# svc\n"}
