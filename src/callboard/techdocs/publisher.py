"""Where built sites live: ``<root>/<namespace>/<kind>/<name>/`` with ``techdocs_metadata.json``, as Backstage
lays them out, behind a small interface so object storage can come as a plugin."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from callboard.core.errors import InputError, NotFoundError

_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class Publisher(Protocol):
    def publish(self, namespace: str, kind: str, name: str, site: Path) -> None: ...

    def metadata(self, namespace: str, kind: str, name: str) -> dict[str, Any] | None: ...

    def file(self, namespace: str, kind: str, name: str, path: str) -> Path: ...

    def sites(self) -> Iterator[tuple[str, str, str]]: ...

    def search_index(self, namespace: str, kind: str, name: str) -> dict[str, Any] | None: ...


def _triplet(namespace: str, kind: str, name: str) -> tuple[str, str, str]:
    for part in (namespace, kind, name):
        if not _PART.match(part):
            raise InputError(f"{part!r} is not a valid namespace, kind or name for docs")
    return namespace.lower(), kind.lower(), name.lower()


class LocalPublisher:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, namespace: str, kind: str, name: str) -> Path:
        return self.root.joinpath(*_triplet(namespace, kind, name))

    def publish(self, namespace: str, kind: str, name: str, site: Path) -> None:
        """Replace the entity's site at once: readers see the old one or the new one, never half of each."""
        if not (site / "techdocs_metadata.json").is_file():
            raise InputError(
                f"{site} is not a built TechDocs site (no techdocs_metadata.json); run 'callboard docs build' first"
            )
        target = self._dir(namespace, kind, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".publish-", dir=target.parent))
        shutil.copytree(site, staging, dirs_exist_ok=True)
        old = target.with_name(f".old-{target.name}")
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)

    def metadata(self, namespace: str, kind: str, name: str) -> dict[str, Any] | None:
        path = self._dir(namespace, kind, name) / "techdocs_metadata.json"
        if not path.is_file():
            return None
        loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return loaded

    def file(self, namespace: str, kind: str, name: str, path: str) -> Path:
        """A file of a published site; nothing outside the site can be reached."""
        base = self._dir(namespace, kind, name).resolve()
        found = (base / path).resolve()
        if base not in found.parents and found != base:
            raise NotFoundError(f"No docs page {path}")
        if found.is_dir():
            found = found / "index.html"
        if not found.is_file():
            raise NotFoundError(f"No docs page {path} for {namespace}/{kind}/{name}")
        return found

    def sites(self) -> Iterator[tuple[str, str, str]]:
        """(namespace, kind, name) of every published site."""
        for metadata in self.root.glob("*/*/*/techdocs_metadata.json"):
            name_dir = metadata.parent
            if name_dir.name.startswith("."):
                continue  # a publish in progress (.publish-*) or the site it is replacing (.old-*)
            yield name_dir.parent.parent.name, name_dir.parent.name, name_dir.name

    def search_index(self, namespace: str, kind: str, name: str) -> dict[str, Any] | None:
        """The site's MkDocs search index (``search/search_index.json``), or None when it has none."""
        path = self._dir(namespace, kind, name) / "search" / "search_index.json"
        try:
            loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return loaded
