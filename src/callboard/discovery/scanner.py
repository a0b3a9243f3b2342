"""Scanning repositories into entities, reusing the last result for a repository whose revision has not
changed, and keeping (as orphans, with the reason) the entities of a repository that disappeared."""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import posixpath
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml

from callboard import __version__
from callboard.core.entity import ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION, ANNOTATION_ORPHAN_REASON
from callboard.discovery.drift import mark_changes
from callboard.discovery.inference import PROVENANCE, Inferred, Options, infer
from callboard.discovery.merge import merge
from callboard.discovery.model import Detector, Fact, Repository, RepoView
from callboard.discovery.review import hold_for_review

log = logging.getLogger(__name__)

LAST_SEEN = "callboard.dev/source-last-seen"
ORPHAN_REASON = ANNOTATION_ORPHAN_REASON


@dataclass
class StoredRepository:
    """What a scan keeps per repository: enough to skip it next time and to explain a disappearance."""

    revision: str
    version: str
    inferred: list[dict[str, Any]]
    location: str
    last_seen: float
    missing_since: float | None = None


@dataclass
class ScanReport:
    entities: list[dict[str, Any]] = field(default_factory=list)
    scanned: int = 0
    reused: int = 0
    missing: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    started_at: float = 0.0

    def summary(self) -> RunSummary:
        return RunSummary(
            self.started_at,
            round(self.seconds, 3),
            self.scanned,
            self.reused,
            sorted(name for name in self.deferred if name not in self.errors),
            dict(sorted(self.errors.items())),
            sorted(self.missing),
            len(self.entities),
        )


@dataclass(frozen=True)
class RunSummary:
    """What one scan of a source did, for the Discovery page: read, unchanged (skipped), deferred to the next
    run (rate limits), failed with the reason, gone."""

    started_at: float
    seconds: float
    scanned: int
    unchanged: int
    deferred: list[str]
    failed: dict[str, str]
    missing: list[str]
    entities: int


class ScanState(Protocol):
    def load(self, source: str) -> dict[str, StoredRepository]: ...

    def save(self, source: str, repositories: Mapping[str, StoredRepository]) -> None: ...

    def save_run(self, source: str, run: RunSummary) -> None: ...

    def runs(self, source: str, limit: int = 10) -> list[RunSummary]:
        """The source's latest runs, newest first."""
        ...


#: Runs kept per source.
KEPT_RUNS = 30


class MemoryState:
    def __init__(self) -> None:
        self._data: dict[str, dict[str, StoredRepository]] = {}
        self._runs: dict[str, list[RunSummary]] = {}

    def load(self, source: str) -> dict[str, StoredRepository]:
        return dict(self._data.get(source, {}))

    def save(self, source: str, repositories: Mapping[str, StoredRepository]) -> None:
        self._data[source] = dict(repositories)

    def save_run(self, source: str, run: RunSummary) -> None:
        self._runs[source] = [run, *self._runs.get(source, [])][:KEPT_RUNS]

    def runs(self, source: str, limit: int = 10) -> list[RunSummary]:
        return self._runs.get(source, [])[:limit]


def _dump(items: Sequence[Inferred]) -> list[dict[str, Any]]:
    return [{"entity": i.entity, "provenance": i.provenance, "unit": i.unit, "conflicts": i.conflicts} for i in items]


def _load(items: Sequence[Mapping[str, Any]]) -> list[Inferred]:
    return [Inferred(dict(i["entity"]), dict(i["provenance"]), str(i["unit"]), list(i["conflicts"])) for i in items]


class Scanner:
    def __init__(
        self,
        detectors: Sequence[Detector],
        options: Options,
        *,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        overrides_source: str = "overrides",
    ) -> None:
        self.detectors = detectors
        self.options = options
        self.overrides = overrides or {}
        self.overrides_source = overrides_source
        self.version = hashlib.sha256(
            json.dumps([__version__, sorted(d.id for d in detectors), repr(options)]).encode()
        ).hexdigest()[:16]

    def facts(self, repo: RepoView) -> list[Fact]:
        found: list[Fact] = []
        for detector in self.detectors:
            try:
                found += detector.detect(repo)
            except Exception as error:  # one broken detector must not hide what the others found
                log.warning("detector %s failed on %s: %s", detector.id, repo.repository.name, error)
        return found

    def scan_repository(self, repository: Repository) -> list[Inferred]:
        """Entities of one repository, with its own ``catalog-info.yaml`` merged in (overrides come later)."""
        view = RepoView(repository)
        inferred = infer(repository, self.facts(view), self.options)
        hold_for_review(inferred, self.options.min_confidence, self.options.default_owner)
        return merge(inferred, declared_entities(view), {})

    def scan(
        self,
        source: str,
        repositories: Iterable[Repository],
        state: ScanState,
        *,
        progress: Callable[[str], None] | None = None,
    ) -> ScanReport:
        started = time.monotonic()
        now = time.time()
        previous = state.load(source)
        kept: dict[str, StoredRepository] = {}
        report = ScanReport(started_at=now)
        for repository in repositories:
            before = previous.get(repository.name)
            if repository.deferred:
                if before:
                    kept[repository.name] = before
                report.deferred.append(repository.name)
                if repository.facts.get("error"):
                    report.errors[repository.name] = str(repository.facts["error"])
                continue
            if before and before.revision == repository.revision and before.version == self.version:
                kept[repository.name] = StoredRepository(
                    before.revision, before.version, before.inferred, before.location, now
                )
                report.reused += 1
            else:
                try:
                    items = self.scan_repository(repository)
                    if before:
                        mark_changes(_load(before.inferred), items, now)
                    kept[repository.name] = StoredRepository(
                        repository.revision, self.version, _dump(items), repository.location, now
                    )
                    report.scanned += 1
                except Exception as error:  # a failed scan keeps the last good entities
                    log.warning("scanning %s failed: %s", repository.name, error)
                    report.errors[repository.name] = str(error)
                    if before:
                        kept[repository.name] = before
            if progress:
                progress(repository.name)
        for name, before in previous.items():
            if name not in kept:
                kept[name] = StoredRepository(
                    before.revision,
                    before.version,
                    before.inferred,
                    before.location,
                    before.last_seen,
                    before.missing_since or now,
                )
                report.missing.append(name)
        state.save(source, kept)
        for name, stored in sorted(kept.items()):
            items = merge(_load(stored.inferred), [], self.overrides, self.overrides_source)
            report.entities += [finalize(item, source, name, stored) for item in items]
        report.seconds = time.monotonic() - started
        state.save_run(source, report.summary())
        return report


def declared_entities(view: RepoView) -> list[tuple[str, str, Mapping[str, Any]]]:
    """Entities written in the repository's ``catalog-info.yaml`` files: (path, folder, entity)."""
    found: list[tuple[str, str, Mapping[str, Any]]] = []
    for path in view.glob("catalog-info.yaml", "catalog-info.yml"):
        try:
            documents = list(yaml.safe_load_all(view.text(path) or ""))
        except yaml.YAMLError as error:
            log.warning("%s in %s is not valid YAML: %s", path, view.repository.name, error)
            continue
        unit = posixpath.dirname(path)
        found += [(path, unit, d) for d in documents if isinstance(d, dict) and d.get("kind") and d.get("metadata")]
    return found


def _day(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d")


def finalize(item: Inferred, source: str, repository: str, stored: StoredRepository) -> dict[str, Any]:
    """The entity as the catalog gets it: its location, provenance and freshness in annotations."""
    entity: dict[str, Any] = json.loads(json.dumps(item.entity))
    metadata = entity.setdefault("metadata", {})
    annotations = metadata.setdefault("annotations", {})
    folder = f"{item.unit}/" if item.unit else ""
    annotations.setdefault(ANNOTATION_LOCATION, f"{stored.location}/{folder}catalog-info.yaml")
    annotations.setdefault(ANNOTATION_ORIGIN_LOCATION, f"discovery:{source}")
    annotations[LAST_SEEN] = _day(stored.last_seen)
    provenance = {
        "source": source,
        "repository": repository,
        "revision": stored.revision,
        "fields": {key: dict(value) for key, value in sorted(item.provenance.items())},
        "conflicts": item.conflicts,
    }
    annotations[PROVENANCE] = json.dumps(provenance, sort_keys=True, separators=(",", ":"))
    if stored.missing_since is not None:
        annotations[ORPHAN_REASON] = (
            f"repository {repository} was not found by discovery source {source!r} since "
            f"{_day(stored.missing_since)}; it was last seen on {_day(stored.last_seen)}"
        )
    return entity
