"""Git from Callboard: a checked command runner and a cache of shallow clones.

Clones are made with ``--depth 1`` into ``<dataDir>/git/<hash>`` (atomically: into a temporary folder,
then renamed) and refreshed with a shallow fetch of the one branch, at most once per ``refresh_seconds``.
Tokens travel in an HTTP header given on the command line (``-c http.extraHeader``), never in the URL or
on disk, and are scrubbed from error messages.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from callboard.core.errors import InputError

GIT_TIMEOUT = 120.0

#: ``/tree/<ref>/<path>`` or ``/blob/<ref>/<path>`` (GitHub, Gitea), ``/-/tree/...`` (GitLab).
_BROWSE = re.compile(r"^(?P<repo>/.+?)(?:/-)?/(?:tree|blob)/(?P<ref>[^/]+)(?:/(?P<path>.*))?$")


class GitError(InputError):
    """A git command failed; the message says which and why (with any token replaced by ***)."""


#: Transports git may use: remote helpers (``ext::``, ``fd::``) run programs, so only these, and ``file`` only
#: where a remote on the server's own disk was allowed.
_PROTOCOLS = ("protocol.allow=never", *(f"protocol.{name}.allow=always" for name in ("https", "http", "ssh", "git")))
_LOCAL_PROTOCOL = "protocol.file.allow=always"
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?[A-Za-z0-9.-]+:(?!//)[^\s]")


def check_remote(url: str, *, field: str, allow_local: bool = False) -> None:
    """Refuse a remote that git would read as an option, a remote helper (which runs a program) or a path on
    this server's disk (unless ``allow_local``); InputError naming ``field``."""
    if url.startswith("-"):
        raise InputError(f"{field} {url[:60]!r} looks like a git option, not a remote; give an https:// URL")
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in url):
        raise InputError(f"{field} holds a control character; give a plain https:// URL")
    if _HELPER.match(url):
        raise InputError(f"{field} {url[:60]!r} names a git remote helper, which runs a program; give an https:// URL")
    if any(character.isspace() for character in url):
        raise InputError(f"{field} {url[:80]!r} holds a space; give a plain https:// URL")
    found = _SCHEME.match(url)
    if found:
        scheme = found.group("scheme").lower()
        if scheme in ("https", "http", "ssh", "git"):
            return
        if scheme != "file":
            raise InputError(f"{field} {url[:80]!r} has the scheme {scheme}; use https, http, ssh or git")
    elif _SCP_LIKE.match(url):
        return  # user@host:path, git's short form of ssh
    if not allow_local:
        raise InputError(
            f"{field} {url[:80]!r} is a local repository on the server's disk; give an https:// URL, or set "
            "scaffolder.allowLocalGitRemotes: true on a single-user machine"
        )


_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def check_branch(name: str, *, field: str) -> None:
    """Refuse a branch name git would misread (an option) or refuse later (git check-ref-format's rules)."""
    if (
        not name
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or name == "@"
        or _BAD_REF.search(name)
        or "/." in name
    ):
        raise InputError(
            f"{field} {name[:60]!r} is not a branch name git accepts; use letters, digits and - _ . / "
            "(not first), e.g. main or release/2026-12"
        )


def run_git(
    args: Sequence[str],
    cwd: Path,
    *,
    secret: str | None = None,
    config: Sequence[str] = (),
    timeout: float = GIT_TIMEOUT,
    allow_local: bool = False,
) -> str:
    """Run ``git`` without a shell, prompts, the user's configuration or remote helpers; its output, or
    ``GitError``. Callers put ``--`` before URLs and paths they did not write themselves."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)}
    protocols = (*_PROTOCOLS, _LOCAL_PROTOCOL) if allow_local else _PROTOCOLS
    options = [part for item in (*protocols, *config) for part in ("-c", item)]
    try:
        result = subprocess.run(
            ["git", *options, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args[:1])} took longer than {timeout:.0f} s and was stopped") from None
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip()
        if secret:
            message = message.replace(secret, "***")
        command = next((arg for arg in args if not arg.startswith("-")), "")
        raise GitError(f"git {command} failed: {message}")
    return result.stdout.strip()


@dataclass(frozen=True)
class RepositoryUrl:
    """A folder of a repository: where to clone from, which branch (None: the default) and the folder."""

    remote: str
    ref: str | None = None
    path: str = ""

    @classmethod
    def parse(cls, url: str) -> RepositoryUrl:
        """A hosting service's browse URL (``…/tree/main/docs``, ``…/blob/main/catalog-info.yaml``) or a
        clone URL (``https://host/org/repo(.git)``)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"{url!r} is not an http(s) URL of a repository")
        found = _BROWSE.match(parts.path)
        if found is None:
            return cls(urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", "")))
        remote = urlunsplit((parts.scheme, parts.netloc, found.group("repo"), "", ""))
        return cls(remote, found.group("ref"), (found.group("path") or "").strip("/"))


class GitCache:
    def __init__(
        self,
        root: Path,
        *,
        refresh_seconds: float = 60.0,
        token_for: Callable[[str], str | None] | None = None,
        timeout: float = GIT_TIMEOUT,
    ) -> None:
        self.root = root
        self.refresh_seconds = refresh_seconds
        self._token_for = token_for or (lambda host: None)
        self._timeout = timeout
        self._locks: dict[Path, threading.Lock] = {}
        self._guard = threading.Lock()
        self._fetched: dict[Path, float] = {}

    def token_for(self, host: str) -> str | None:
        """The integration token for a host (for API clients that share the git credentials)."""
        return self._token_for(host)

    def folder(self, remote: str, ref: str | None) -> Path:
        digest = hashlib.sha256(f"{remote}\n{ref or ''}".encode()).hexdigest()[:20]
        return self.root / digest

    def checkout(self, remote: str, ref: str | None = None, *, refresh: bool = True) -> Path:
        """A working tree of ``remote`` at ``ref`` (its default branch when None), cloned or refreshed."""
        check_remote(remote, field="repository URL")
        if ref is not None:
            check_branch(ref, field="branch")
        target = self.folder(remote, ref)
        with self._guard:
            lock = self._locks.setdefault(target, threading.Lock())
        with lock:
            if not (target / ".git").is_dir():
                self._clone(remote, ref, target)
            elif refresh and time.monotonic() - self._fetched.get(target, 0.0) >= self.refresh_seconds:
                self._fetch(remote, ref, target)
            return target

    def _auth(self, remote: str) -> tuple[list[str], str | None]:
        token = self._token_for(urlsplit(remote).netloc)
        if not token:
            return [], None
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        return [f"http.extraHeader=Authorization: Basic {basic}"], basic

    def _clone(self, remote: str, ref: str | None, target: Path) -> None:
        config, secret = self._auth(remote)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=".clone-", dir=target.parent))
        try:
            branch = ["--branch", ref] if ref else []
            run_git(
                ["clone", "-q", "--depth", "1", "--single-branch", *branch, "--", remote, str(temp / "tree")],
                target.parent,
                secret=secret,
                config=config,
                timeout=self._timeout,
            )
            (temp / "tree").rename(target)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        self._fetched[target] = time.monotonic()

    def _fetch(self, remote: str, ref: str | None, target: Path) -> None:
        config, secret = self._auth(remote)
        run_git(
            ["fetch", "-q", "--depth", "1", "--", remote, ref or "HEAD"],
            target,
            secret=secret,
            config=config,
            timeout=self._timeout,
        )
        run_git(["reset", "-q", "--hard", "FETCH_HEAD"], target)
        run_git(["clean", "-q", "-fdx"], target)
        self._fetched[target] = time.monotonic()

    def tags(self, remote: str) -> list[str]:
        """The tag names ``remote`` has (``git ls-remote``: names only, nothing is downloaded)."""
        check_remote(remote, field="repository URL")
        config, secret = self._auth(remote)
        self.root.mkdir(parents=True, exist_ok=True)
        command = ["ls-remote", "--tags", "--refs", "--", remote]
        listed = run_git(command, self.root, secret=secret, config=config, timeout=self._timeout)
        return sorted(line.split("\trefs/tags/", 1)[1] for line in listed.splitlines() if "\trefs/tags/" in line)

    def head(self, folder: Path) -> str:
        """The commit a checkout is at."""
        return run_git(["rev-parse", "HEAD"], folder)
