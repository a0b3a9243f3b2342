"""TechDocs for the portal: where an entity's docs come from, building them on demand, serving their pages.

Stale-while-rebuild: a reader always gets the last good build at once; when the sources changed since, a
rebuild starts in the background and the page says a newer version is coming (Backstage makes readers wait
20-60 s). Pages are sanitised before they are shown: docs are Markdown from repositories, and Markdown
allows raw HTML.
"""

from __future__ import annotations

import logging
import posixpath
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

from callboard.core.errors import InputError, NotFoundError
from callboard.sources.api import GitCache, RepositoryUrl
from callboard.techdocs.builder import BuildError, build_site, source_digest
from callboard.techdocs.publisher import Publisher

log = logging.getLogger("callboard.techdocs")

REF = "backstage.io/techdocs-ref"
LOCATION = "backstage.io/managed-by-location"
ARTICLE = re.compile(r'<article[^>]*class="[^"]*md-content__inner[^"]*"[^>]*>(?P<body>.*?)</article>', re.S)
BODY_MAIN = re.compile(r'<div[^>]*role="main"[^>]*>(?P<body>.*?)</div>\s*</div>\s*<footer', re.S)
HEADERLINK = re.compile(r'<a[^>]*class="headerlink"[^>]*>.*?</a>', re.S)
HEADING = re.compile(r'<h([23])[^>]*id="(?P<id>[^"]+)"[^>]*>(?P<text>.*?)</h\1>', re.S)
TAGS = re.compile(r"<[^>]+>")

ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"img", "figure", "figcaption", "details", "summary", "span", "div", "section"}
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "class", "title"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    "td": {"align"},
    "th": {"align"},
}


@dataclass
class DocsState:
    built: bool
    stale: bool = False
    building: bool = False
    error: str | None = None
    log: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def location_metadata(entity: Mapping[str, Any]) -> dict[str, str]:
    """Where the docs come from, as Backstage's ``locationMetadata``: ``{type, target}``.

    ``dir:`` next to a descriptor read by URL becomes that folder's URL; next to a descriptor on the
    server's disk it stays as the annotation writes it (the server's own paths are nobody's business).
    """
    annotations = (entity.get("metadata") or {}).get("annotations") or {}
    ref = str(annotations.get(REF) or "")
    kind, _, target = ref.partition(":")
    if not ref or not target:
        raise NotFoundError("This entity has no docs (no backstage.io/techdocs-ref annotation)")
    location = str(annotations.get(LOCATION) or "")
    if kind == "dir" and location.startswith("url:"):
        return {"type": "url", "target": urljoin(location.removeprefix("url:"), target.rstrip("/") + "/")}
    return {"type": kind, "target": target}


def docs_source(entity: Mapping[str, Any]) -> Path | RepositoryUrl:
    """Where an entity's ``backstage.io/techdocs-ref`` points: a local folder (``dir:`` next to a descriptor
    read from disk) or a folder of a repository (``url:``, or ``dir:`` next to a descriptor read by URL)."""
    annotations = (entity.get("metadata") or {}).get("annotations") or {}
    ref = str(annotations.get(REF) or "")
    if not ref:
        raise NotFoundError("This entity has no docs (no backstage.io/techdocs-ref annotation)")
    kind, _, target = ref.partition(":")
    if kind == "url":
        return RepositoryUrl.parse(target)
    if kind != "dir":
        raise InputError(f"{REF}: {ref!r} is not supported; use dir:<folder next to catalog-info.yaml> or url:<folder>")
    location = str(annotations.get(LOCATION) or "")
    if location.startswith("url:"):
        descriptor = RepositoryUrl.parse(location.removeprefix("url:"))
        folder = posixpath.normpath(posixpath.join(posixpath.dirname(descriptor.path), target))
        if folder == ".." or folder.startswith("../"):
            raise InputError(f"{REF}: {ref!r} leaves the repository of the descriptor")
        return RepositoryUrl(descriptor.remote, descriptor.ref, "" if folder == "." else folder)
    if not location.startswith("file:"):
        raise InputError(
            f"Docs of entities read from {location or 'an unknown place'} are built by CI and published with "
            "'callboard docs publish'"
        )
    base = Path(urlsplit(location).path if location.startswith("file://") else location.removeprefix("file:")).parent
    source = (base / target).resolve()
    if source != base.resolve() and base.resolve() not in source.parents:
        raise InputError(f"{REF}: {ref!r} leaves the repository of the descriptor")
    return source


def _triplet(entity: Mapping[str, Any]) -> tuple[str, str, str]:
    metadata = entity.get("metadata") or {}
    return str(metadata.get("namespace") or "default"), str(entity.get("kind", "")), str(metadata.get("name", ""))


class TechDocsService:
    def __init__(
        self,
        publisher: Publisher,
        *,
        timeout: float = 120.0,
        check_every: float = 10.0,
        on_published: Callable[[str, str, str], None] | None = None,
        git: GitCache | None = None,
        allowed: Callable[[str], bool] = lambda url: False,
        remote_check_every: float = 60.0,
    ) -> None:
        self.publisher = publisher
        self.on_published = on_published
        self._git = git
        self._allowed = allowed
        self.remote_check_every = remote_check_every
        self._remote_checked: dict[tuple[str, str, str], float] = {}
        self.timeout = timeout
        self.check_every = check_every
        self._lock = threading.Lock()
        self._building: dict[tuple[str, str, str], threading.Thread] = {}
        self._errors: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._checked: dict[tuple[str, str, str], tuple[float, bool]] = {}
        self._error_digest: dict[tuple[str, str, str], str] = {}

    def state(self, entity: Mapping[str, Any], *, refresh: bool = True) -> DocsState:
        """What the reader gets now; starts a (re)build in the background when the sources are newer."""
        key = _triplet(entity)
        metadata = self.publisher.metadata(*key)
        error = self._errors.get(key)
        with self._lock:
            building = key in self._building and self._building[key].is_alive()
        state = DocsState(built=metadata is not None, building=building, metadata=metadata or {})
        if error:
            state.error, state.log = error
        if not refresh:
            return state
        try:
            source = docs_source(entity)
        except (InputError, NotFoundError) as problem:
            if metadata is None:
                state.error = problem.message
            return state
        if isinstance(source, RepositoryUrl):
            return self._remote_state(key, source, state, entity)
        stale = metadata is None or self._stale(key, source, metadata)
        state.stale = stale and metadata is not None
        if stale and not building and not (error and not self._changed_since_error(key, source)):
            self._start(key, lambda: source, site_name=_site_name(entity))
            state.building = True
        return state

    def _remote_state(
        self, key: tuple[str, str, str], source: RepositoryUrl, state: DocsState, entity: Mapping[str, Any]
    ) -> DocsState:
        """Docs in a repository: fetched and rebuilt in the background when the fetched sources changed,
        checked at most every ``remote_check_every`` seconds (a failure waits as long before a retry)."""
        if self._git is None or not self._allowed(source.remote):
            host = urlsplit(source.remote).netloc
            if not state.built:
                state.error = (
                    f"Reading docs from {source.remote} is not allowed. Add {{host: {host}}} to "
                    "backend.reading.allow or configure an integration for it"
                )
            return state
        now = time.monotonic()
        if not state.building and now - self._remote_checked.get(key, -1e9) >= self.remote_check_every:
            self._remote_checked[key] = now
            self._start(key, lambda: self._checkout(source), only_if_changed=state.built, site_name=_site_name(entity))
            state.building = not state.built
        return state

    def _checkout(self, source: RepositoryUrl) -> Path:
        assert self._git is not None
        tree = self._git.checkout(source.remote, source.ref).resolve()
        folder = (tree / source.path).resolve()
        if folder != tree and tree not in folder.parents:
            raise InputError(f"{REF}: the folder {source.path!r} leaves the repository")
        if not folder.is_dir():
            raise NotFoundError(
                f"{source.remote} has no folder {source.path!r} on {source.ref or 'its default branch'}"
            )
        return folder

    def _stale(self, key: tuple[str, str, str], source: Path, metadata: Mapping[str, Any]) -> bool:
        now = time.monotonic()
        checked = self._checked.get(key)
        if checked and now - checked[0] < self.check_every:
            return checked[1]
        stale = source_digest(source) != metadata.get("etag")
        self._checked[key] = (now, stale)
        return stale

    def _changed_since_error(self, key: tuple[str, str, str], source: Path) -> bool:
        return self._error_digest.get(key) != source_digest(source)

    def _start(
        self,
        key: tuple[str, str, str],
        resolve: Callable[[], Path],
        *,
        only_if_changed: bool = False,
        site_name: str | None = None,
    ) -> None:
        def run() -> None:
            source: Path | None = None
            try:
                source = resolve()
                metadata = self.publisher.metadata(*key) or {}
                if only_if_changed and source_digest(source) == metadata.get("etag"):
                    return
                with tempfile.TemporaryDirectory(prefix="callboard-docs-") as temp:
                    build_site(source, Path(temp) / "site", timeout=self.timeout, site_name=site_name)
                    self.publisher.publish(*key, Path(temp) / "site")
                self._announce(key)
                self._errors.pop(key, None)
                self._checked.pop(key, None)
            except (BuildError, InputError, NotFoundError) as problem:
                log.warning("docs build for %s failed: %s", "/".join(key), problem)
                self._errors[key] = (getattr(problem, "message", str(problem)), getattr(problem, "log", ""))
                if source is not None:
                    self._error_digest[key] = source_digest(source)
            finally:
                with self._lock:
                    self._building.pop(key, None)

        with self._lock:
            if key in self._building and self._building[key].is_alive():
                return
            thread = threading.Thread(target=run, name=f"techdocs-{'/'.join(key)}", daemon=True)
            self._building[key] = thread
            thread.start()

    def _announce(self, key: tuple[str, str, str]) -> None:
        if self.on_published is None:
            return
        try:
            self.on_published(*key)
        except Exception:  # the docs are published; indexing them is retried by the indexer's next scan
            log.exception("indexing the docs of %s failed", "/".join(key))

    def wait(self, entity: Mapping[str, Any], timeout: float = 120.0) -> None:
        """Wait for a running build of the entity's docs (tests and the CLI)."""
        with self._lock:
            thread = self._building.get(_triplet(entity))
        if thread is not None:
            thread.join(timeout)

    def page(self, entity: Mapping[str, Any], path: str) -> dict[str, Any]:
        """A docs page as the portal shows it: sanitised article, table of contents, the site's navigation."""
        key = _triplet(entity)
        file = self.publisher.file(*key, path)
        if file.suffix != ".html":
            raise NotFoundError(f"{path} is not a docs page")
        html = file.read_text("utf-8", errors="replace")
        match = ARTICLE.search(html) or BODY_MAIN.search(html)
        body = HEADERLINK.sub("", match.group("body") if match else html)
        clean = nh3.clean(
            body, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"}
        )
        toc = [
            {
                "level": int(m.group(1)),
                "id": m.group("id"),
                "text": TAGS.sub("", m.group("text")).replace("¶", "").strip(),
            }
            for m in HEADING.finditer(clean)
        ]
        metadata = self.publisher.metadata(*key) or {}
        return {"html": clean, "toc": toc, "nav": metadata.get("nav") or [], "site_name": metadata.get("site_name", "")}

    def asset(self, entity: Mapping[str, Any], path: str) -> Path:
        """A raster image of the site; pages go through ``page`` so they are sanitised (SVG could carry script)."""
        file = self.publisher.file(*_triplet(entity), path)
        if file.suffix.lower() not in {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico"}:
            raise NotFoundError(f"{path} is not a docs image")
        return file


def _site_name(entity: Mapping[str, Any]) -> str:
    """What a site without mkdocs.yml is called: the entity's title, else its name (as Backstage names it)."""
    metadata = entity.get("metadata") or {}
    return str(metadata.get("title") or metadata.get("name") or "")
