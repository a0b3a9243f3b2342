"""Where repositories come from: a folder of local clones, or git remotes cloned shallowly into a cache."""

from __future__ import annotations

import configparser
import logging
import re
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from callboard.discovery.model import Repository
from callboard.sources.api import GitCache, GitError, RepositoryUrl

log = logging.getLogger(__name__)

_SCP = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$")


def web_url(remote: str) -> str | None:
    """The browsable https URL of a git remote (``git@github.com:o/r.git`` → ``https://github.com/o/r``)."""
    remote = remote.strip()
    scp = _SCP.match(remote)
    if scp and "://" not in remote:
        return f"https://{scp.group('host')}/{scp.group('path').removesuffix('.git')}"
    parts = urlsplit(remote)
    if parts.scheme in ("http", "https", "ssh", "git") and parts.hostname:
        host = parts.hostname if parts.scheme in ("ssh", "git") else parts.netloc.rsplit("@", 1)[-1]
        scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
        return f"{scheme}://{host}{parts.path.removesuffix('.git').rstrip('/')}"
    return None


def read_head(git_dir: Path) -> tuple[str, str]:
    """(commit, branch) of a clone, read from its files: no process per repository."""
    head = (git_dir / "HEAD").read_text().strip()
    if not head.startswith("ref: "):
        return head, "HEAD"
    ref = head[5:]
    branch = ref.removeprefix("refs/heads/")
    loose = git_dir / ref
    if loose.is_file():
        return loose.read_text().strip(), branch
    packed = git_dir / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0], branch
    return "", branch


def read_tags(git_dir: Path) -> list[str]:
    """A clone's tag names, read from its files (loose refs and ``packed-refs``): no process per repository."""
    names: set[str] = set()
    loose = git_dir / "refs" / "tags"
    if loose.is_dir():
        names.update(path.relative_to(loose).as_posix() for path in loose.rglob("*") if path.is_file())
    try:
        packed = (git_dir / "packed-refs").read_text("utf-8", errors="replace")
    except OSError:
        packed = ""
    for line in packed.splitlines():
        _, _, ref = line.partition(" ")
        if ref.startswith("refs/tags/"):
            names.add(ref.removeprefix("refs/tags/"))
    return sorted(names)


def origin_url(git_dir: Path) -> str | None:
    config = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        config.read(git_dir / "config")
    except configparser.Error:
        return None
    section = 'remote "origin"'
    return config.get(section, "url", fallback=None) if config.has_section(section) else None


def local_repository(root: Path, name: str | None = None) -> Repository | None:
    git_dir = root / ".git"
    if not git_dir.is_dir():
        return None
    commit, branch = read_head(git_dir)
    remote = origin_url(git_dir)
    url = web_url(remote) if remote else None
    return Repository(
        name=name or (urlsplit(url).path.strip("/") if url else root.name),
        root=root,
        revision=commit,
        web_url=url,
        branch=branch,
        location=f"file:{root}",
        list_tags=lambda: read_tags(git_dir),
    )


class LocalFolders:
    """Every git clone directly inside ``path`` (or ``path`` itself, when it is one)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def repositories(self) -> Iterator[Repository]:
        itself = local_repository(self.path)
        if itself is not None:
            yield itself
            return
        for child in sorted(self.path.iterdir()) if self.path.is_dir() else []:
            found = local_repository(child) if child.is_dir() else None
            if found is not None:
                yield found


class GitRemotes:
    """Repositories by clone URL, cloned with ``--depth 1`` into a cache and fetched again on later scans."""

    def __init__(self, urls: Sequence[str], cache: GitCache) -> None:
        self.urls = urls
        self.cache = cache

    def repositories(self) -> Iterator[Repository]:
        for url in self.urls:
            parsed = RepositoryUrl.parse(url)
            web = web_url(parsed.remote)
            name = urlsplit(web).path.strip("/") if web else self.cache.folder(parsed.remote, parsed.ref).name
            try:
                root = self.cache.checkout(parsed.remote, parsed.ref)
            except GitError as error:
                # One unreachable remote must not stop the others: it keeps its last entities, reported.
                root = self.cache.folder(parsed.remote, parsed.ref)
                yield Repository(name, root, "", web, deferred=True, facts={"error": error.message})
                continue
            commit, branch = read_head(root / ".git")
            yield Repository(
                name=name,
                root=root,
                revision=commit,
                web_url=web,
                branch=parsed.ref or branch,
                location=f"url:{web}/blob/{parsed.ref or branch}" if web else f"file:{root}",
                list_tags=partial(self._tags, parsed.remote),
            )

    def _tags(self, remote: str) -> list[str]:
        """The remote's tags (a shallow clone has none of its own); none when the remote will not say."""
        try:
            return self.cache.tags(remote)
        except GitError as error:
            log.info("no tags of %s: %s", remote, error.message)
            return []
