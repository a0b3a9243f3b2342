"""TechDocs for the portal: where an entity's docs come from, building them on demand, serving their pages.

Stale-while-rebuild: a reader always gets the last good build at once; when the sources changed since, a
rebuild starts in the background and the page says a newer version is coming (Backstage makes readers wait
20-60 s). Pages are sanitised before they are shown: docs are Markdown from repositories, and Markdown
allows raw HTML.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nh3

from callboard.core.errors import InputError, NotFoundError
from callboard.techdocs.builder import BuildError, build_site, source_digest
from callboard.techdocs.publisher import LocalPublisher

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


def docs_source(entity: Mapping[str, Any]) -> Path:
    """The folder an entity's ``backstage.io/techdocs-ref`` points at (``dir:`` next to its descriptor)."""
    annotations = (entity.get("metadata") or {}).get("annotations") or {}
    ref = str(annotations.get(REF) or "")
    if not ref:
        raise NotFoundError("This entity has no docs (no backstage.io/techdocs-ref annotation)")
    kind, _, target = ref.partition(":")
    if kind != "dir":
        raise InputError(f"{REF}: {ref!r} is not supported yet; use dir:<folder next to catalog-info.yaml>")
    location = str(annotations.get(LOCATION) or "")
    if not location.startswith("file:"):
        raise InputError(
            f"Docs of entities read from {location or 'an unknown place'} are built by CI and published with "
            "'callboard docs publish'; on-demand builds read local repositories only"
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
        publisher: LocalPublisher,
        *,
        timeout: float = 120.0,
        check_every: float = 10.0,
        on_published: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.publisher = publisher
        self.on_published = on_published
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
        stale = metadata is None or self._stale(key, source, metadata)
        state.stale = stale and metadata is not None
        if stale and not building and not (error and not self._changed_since_error(key, source)):
            self._start(key, source)
            state.building = True
        return state

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

    def _start(self, key: tuple[str, str, str], source: Path) -> None:
        def run() -> None:
            try:
                with tempfile.TemporaryDirectory(prefix="callboard-docs-") as temp:
                    build_site(source, Path(temp) / "site", timeout=self.timeout)
                    self.publisher.publish(*key, Path(temp) / "site")
                self._announce(key)
                self._errors.pop(key, None)
                self._checked.pop(key, None)
            except (BuildError, InputError) as problem:
                log.warning("docs build for %s failed: %s", "/".join(key), problem)
                self._errors[key] = (getattr(problem, "message", str(problem)), getattr(problem, "log", ""))
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
