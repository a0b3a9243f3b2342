"""Keeping the index in step with the catalog and the docs, a little at a time.

Entities are indexed incrementally from a watermark on their last update (a changed entity is searchable
within seconds); deleted ones are found by comparing counts, and by a full comparison every few minutes.
Docs sites are indexed when one is published by this process and, for sites published by a pipeline
(``callboard docs publish``), when a scan sees a new build. Where each collator got to is kept in the
database, so a restart (or another replica) carries on instead of starting over.

Collators from plugins (hook ``register_search_collators``) return their whole set of documents on every
run; what they no longer return is removed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from callboard.core.loops import BackgroundLoop
from callboard.search.documents import CATALOG, TECHDOCS, SearchDocument, docs_documents, entity_document
from callboard.search.engine import SearchEngine

log = logging.getLogger(__name__)

BATCH = 1000
#: Index keys compared with the catalog at a time when looking for deleted entities.
CHECK_PAGE = 2000
FULL_CHECK_SECONDS = 600.0
#: How often the two counts that reveal deletions are compared (each is a count over a large table).
COUNT_CHECK_SECONDS = 15.0


class EntityFeed(Protocol):
    """What the indexer reads from the catalog: the secured catalog, acting as the portal itself (it indexes
    everything; results are filtered by each searcher's access when they are read)."""

    def changed_since(self, since: float, after_ref: str, limit: int) -> list[tuple[str, Mapping[str, Any], float]]:
        """Up to ``limit`` (ref, entity, updated_at) in (updated_at, ref) order, after (since, after_ref)."""

    def existing_refs(self, refs: Sequence[str]) -> set[str]:
        """Those of ``refs`` the catalog holds."""

    def total(self) -> int: ...

    def entity_map(self, refs: Sequence[str]) -> dict[str, Mapping[str, Any]]: ...


class DocsSites(Protocol):
    """Built docs sites (the TechDocs publisher)."""

    def sites(self) -> Iterator[tuple[str, str, str]]: ...

    def metadata(self, namespace: str, kind: str, name: str) -> dict[str, Any] | None: ...

    def search_index(self, namespace: str, kind: str, name: str) -> Mapping[str, Any] | None: ...


class Collator(Protocol):
    """A plugin's source of documents, collected whole on every run."""

    type: str

    def collect(self, catalog: Any) -> Iterable[SearchDocument]: ...


@dataclass
class IndexReport:
    upserted: int = 0
    deleted: int = 0

    def add(self, other: IndexReport) -> None:
        self.upserted += other.upserted
        self.deleted += other.deleted


def site_ref(namespace: str, kind: str, name: str) -> str:
    return f"{kind}:{namespace}/{name}".lower()


def _triplet(ref: str) -> tuple[str, str, str] | None:
    kind, _, rest = ref.partition(":")
    namespace, _, name = rest.partition("/")
    return (namespace, kind, name) if kind and namespace and name else None


class SearchIndexer(BackgroundLoop):
    def __init__(
        self,
        engine: SearchEngine,
        entities: EntityFeed,
        sites: DocsSites | None = None,
        collators: Sequence[Collator] = (),
        *,
        reader: Any = None,
        interval: float = 2.0,
        docs_interval: float = 30.0,
        collator_interval: float = 600.0,
    ) -> None:
        self.engine = engine
        self._entities = entities
        self._sites = sites
        self._collators = collators
        self._reader = reader
        self._interval = interval
        self._docs_interval = docs_interval
        self._collator_interval = collator_interval
        self._lock = threading.Lock()
        self._counted_at = -COUNT_CHECK_SECONDS  # compare counts on the first run
        super().__init__("search-indexer")

    # -- the catalog ------------------------------------------------------------------------------------------

    def index_catalog(
        self, progress: Callable[[int], None] | None = None, *, throttle: bool = False
    ) -> tuple[IndexReport, set[str]]:
        """Index entities changed since the last run; returns what was done and the refs that changed.

        Deletions are found by comparing counts: at most every ``COUNT_CHECK_SECONDS`` when ``throttle``
        (the background loop), every time otherwise (a command or a test asking now). While the catalog keeps
        changing (this run indexed changes) the background loop leaves the comparison for a run that finds
        none, or the full check: during an ingestion the counts always differ, and each comparison read
        every ref of the catalog (a million-entity ingestion spent a fifth of its worker's time on it).
        """
        report = IndexReport()
        changed: set[str] = set()
        state = self.engine.load_state(CATALOG)
        since, after = float(state.get("since", 0.0)), str(state.get("ref", ""))
        while True:
            batch = self._entities.changed_since(since, after, BATCH)
            if not batch:
                break
            self.engine.upsert([entity_document(entity, ref) for ref, entity, _ in batch])
            changed.update(ref for ref, _, _ in batch)
            report.upserted += len(batch)
            _, _, since = batch[-1]
            after = batch[-1][0]
            self.engine.save_state(CATALOG, {**state, "since": since, "ref": after})
            if progress:
                progress(len(batch))
            if len(batch) < BATCH:
                break
        state = self.engine.load_state(CATALOG)
        due = time.time() - float(state.get("checked_at", 0.0)) > FULL_CHECK_SECONDS
        counted = time.monotonic() - self._counted_at < COUNT_CHECK_SECONDS
        if throttle and not due and (counted or changed):
            return report, changed
        self._counted_at = time.monotonic()
        if due or self.engine.count(CATALOG) != self._entities.total():
            report.deleted += self._delete_gone_entities()
            self.engine.save_state(CATALOG, {**state, "checked_at": time.time()})
        return report, changed

    def _delete_gone_entities(self) -> int:
        """Delete the documents of entities the catalog no longer holds; return how many.

        The index's keys are walked a page at a time and each page is looked up in the catalog. Holding both
        lists whole (two sets of every ref) grew the worker by 341 MB at a million entities.
        """
        deleted, after = 0, ""
        while page := self.engine.keys_after(CATALOG, after, CHECK_PAGE):
            gone = sorted(set(page) - self._entities.existing_refs(page))
            self.engine.delete(CATALOG, gone)
            for ref in gone:
                self.engine.replace_resource(TECHDOCS, ref, [])
            deleted += len(gone)
            after = page[-1]
        return deleted

    def lag_seconds(self, now: float) -> float:
        """How long the oldest catalog change not yet in the index has waited (0 when the index is current)."""
        state = self.engine.load_state(CATALOG)
        waiting = self._entities.changed_since(float(state.get("since", 0.0)), str(state.get("ref", "")), 1)
        return max(0.0, now - waiting[0][2]) if waiting else 0.0

    # -- docs -------------------------------------------------------------------------------------------------

    def index_docs(self, changed_entities: Iterable[str] = (), *, scan: bool = True) -> IndexReport:
        """Index sites built since the last scan (``scan``) and re-index the sites of entities that changed."""
        report = IndexReport()
        if self._sites is None:
            return report
        state = self.engine.load_state(TECHDOCS)
        seen: dict[str, str] = dict(state.get("sites") or {})
        changed = set(changed_entities)
        if scan:
            current = {site_ref(*triplet): triplet for triplet in self._sites.sites()}
        else:
            current = {ref: triplet for ref in changed if (triplet := _triplet(ref)) and self._signature(triplet)}
        for ref, triplet in current.items():
            signature = self._signature(triplet)
            if signature and (seen.get(ref) != signature or ref in changed):
                indexed = self._index_site(triplet, ref)
                if indexed is not None:
                    report.upserted += indexed
                    seen[ref] = signature
                else:
                    seen.pop(ref, None)  # not indexable yet (no such entity): try again at the next scan
        gone = set(seen) - set(current) if scan else {ref for ref in changed if ref in seen and ref not in current}
        for ref in gone:
            self.engine.replace_resource(TECHDOCS, ref, [])
            report.deleted += 1
            del seen[ref]
        self.engine.save_state(TECHDOCS, {"sites": seen})
        return report

    def _signature(self, triplet: tuple[str, str, str]) -> str:
        assert self._sites is not None
        metadata = self._sites.metadata(*triplet) or {}
        return f"{metadata.get('etag', '')}@{metadata.get('build_timestamp', '')}" if metadata else ""

    def _index_site(self, triplet: tuple[str, str, str], ref: str) -> int | None:
        """How many documents the site gave, or None when it cannot be indexed yet."""
        assert self._sites is not None
        entity = self._entities.entity_map([ref]).get(ref)
        search_index = self._sites.search_index(*triplet)
        if entity is None or search_index is None:
            # Docs of an entity the catalog does not have (yet): nothing to attach them to or check access by.
            return None
        documents = list(docs_documents(entity, ref, search_index))
        self.engine.replace_resource(TECHDOCS, ref, documents)
        return len(documents)

    def docs_published(self, namespace: str, kind: str, name: str) -> None:
        """A site was just published: index it now rather than at the next scan."""
        with self._lock:
            self.index_docs([site_ref(namespace, kind, name)], scan=False)

    # -- plugin collators -------------------------------------------------------------------------------------

    def index_collators(self) -> IndexReport:
        report = IndexReport()
        for collator in self._collators:
            documents = list(collator.collect(self._reader))
            keys = {document.key for document in documents}
            gone = sorted(self.engine.keys(collator.type) - keys)
            self.engine.upsert(documents)
            self.engine.delete(collator.type, gone)
            report.add(IndexReport(len(documents), len(gone)))
        return report

    def forget(self) -> None:
        """Drop the catalog's and the docs' documents and where indexing got to: the next run starts over."""
        with self._lock:
            for type in (CATALOG, TECHDOCS):
                self.engine.delete(type, sorted(self.engine.keys(type)))
                self.engine.save_state(type, {})

    # -- running ----------------------------------------------------------------------------------------------

    def run_once(self, *, docs: bool = True, collators: bool = True, throttle: bool = False) -> IndexReport:
        with self._lock:
            report, changed = self.index_catalog(throttle=throttle)
            if docs or changed:
                report.add(self.index_docs(changed, scan=docs))
            if collators:
                report.add(self.index_collators())
            return report

    def _loop(self) -> None:
        next_docs = next_collators = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            try:
                self.run_once(docs=now >= next_docs, collators=now >= next_collators, throttle=True)
            except Exception:  # the loop must outlive one bad run; the next one retries
                log.exception("search indexing failed; retrying")
            if now >= next_docs:
                next_docs = now + self._docs_interval
            if now >= next_collators:
                next_collators = now + self._collator_interval
            self._stop.wait(self._interval)
