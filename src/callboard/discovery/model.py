"""Facts detectors find in a repository, and the repository as detectors see it."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

#: Folders never looked into: dependencies, build output, tool caches.
SKIPPED = {
    ".git",
    "node_modules",
    "vendor",
    ".venv",
    "venv",
    "__pycache__",
    "dist",
    "build",
    "target",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".next",
    ".gradle",
    "site",
    ".idea",
    ".terraform",
}
MAX_FILES = 20_000
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 6
MAX_TAGS = 5_000

_NAME = re.compile(r"[^a-z0-9]+")


def entity_name(text: str) -> str:
    """A valid Backstage name from a package name, title or folder: lower-case words joined by dashes."""
    name = text.rsplit("/", 1)[-1].lower()
    return _NAME.sub("-", name).strip("-")[:63] or "unnamed"


@dataclass(frozen=True)
class Fact:
    """One thing a detector believes, and why.

    ``unit`` is the folder (relative to the repository, ``""`` for its root) of the component the fact is
    about, or ``"*"`` for every component of the repository. ``field`` is a dotted entity path
    (``spec.type``, ``metadata.annotations.backstage.io/techdocs-ref``) or one of ``unit`` (this folder is
    a component), ``api`` and ``resource`` (the value describes an entity to create). ``rule`` says in a
    sentence why; ``source`` is the file.
    """

    unit: str
    field: str
    value: Any
    confidence: float
    source: str
    rule: str


@dataclass
class Repository:
    """A repository as a source found it."""

    name: str  # owner/name where the host has owners, else the folder name
    root: Path
    revision: str  # a commit id, or a signature of the files when there is no git
    web_url: str | None = None  # https://host/owner/name, for links and annotations
    branch: str = "main"
    archived: bool = False
    location: str = ""  # the base of managed-by-location annotations: file:<root> or url:<web>/blob/<branch>
    facts: dict[str, Any] = field(default_factory=dict)  # what the host says (topics, description)
    # A repository read through an API instead of a checkout: its file list and a reader of one file.
    listing: list[str] | None = None
    read: Callable[[str], str | None] | None = None
    # Not read this time (a rate limit was near): its last result is kept, and it is not "missing".
    deferred: bool = False
    # The repository's tag names, asked for only when the repository is read (a process or a request for
    # remote sources); None where the source cannot say.
    list_tags: Callable[[], list[str]] | None = None


class RepoView:
    """The files of a checked-out repository: listed once, read on demand (text, at most 1 MB each)."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository
        self.root = repository.root
        self._files: list[str] | None = None
        self._cache: dict[str, str | None] = {}
        self._tags: list[str] | None = None

    @property
    def files(self) -> list[str]:
        if self._files is None:
            listing = self.repository.listing
            self._files = sorted(listing) if listing is not None else sorted(_walk(self.root))
        return self._files

    @property
    def tags(self) -> list[str]:
        """The repository's git tag names (at most ``MAX_TAGS``); empty where its source cannot list them."""
        if self._tags is None:
            listed = self.repository.list_tags() if self.repository.list_tags is not None else []
            self._tags = listed[:MAX_TAGS]
        return self._tags

    def glob(self, *patterns: str) -> Iterator[str]:
        """Files whose path (or, for patterns without '/', name) matches any pattern."""
        for path in self.files:
            name = path.rsplit("/", 1)[-1]
            if any(fnmatch.fnmatch(path if "/" in p else name, p) for p in patterns):
                yield path

    def exists(self, path: str) -> bool:
        if self.repository.listing is not None:
            return path in self.files
        return (self.root / path).is_file()

    def text(self, path: str) -> str | None:
        if self.repository.read is not None:
            if path not in self._cache:
                self._cache[path] = self.repository.read(path) if path in self.files else None
            return self._cache[path]
        if path not in self._cache:
            file = self.root / path
            try:
                self._cache[path] = (
                    file.read_text("utf-8", errors="replace") if file.stat().st_size <= MAX_BYTES else None
                )
            except OSError:
                self._cache[path] = None
        return self._cache[path]


def _walk(root: Path) -> Iterator[str]:
    count = 0
    base = len(str(root)) + 1
    for folder, folders, names in os.walk(root):
        depth = folder[base:].count(os.sep) + 1 if len(folder) > len(str(root)) else 0
        folders[:] = [] if depth >= MAX_DEPTH else sorted(f for f in folders if f not in SKIPPED)
        for name in names:
            count += 1
            if count > MAX_FILES:
                return
            yield f"{folder}{os.sep}{name}"[base:].replace(os.sep, "/")  # a string join: Path is slower per file


class Detector(Protocol):
    """Reads some files of a repository and says what they show (built-ins: ``builtins/detectors``)."""

    id: str

    def detect(self, repo: RepoView) -> list[Fact]: ...
