"""Answering searches: words → candidates from the engine → only what the caller may read → ranked,
highlighted, counted and paged.

A search looks at the best ``CANDIDATES`` matches (more when permissions hide many). Totals beyond that
are reported as "at least", which no one pages to the end of; what matters is that the first pages are
right and fast.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from callboard.core.errors import InputError
from callboard.search.engine import FILTER_FIELDS, Candidate, Match, SearchEngine
from callboard.search.ranking import Ranked, highlight, rank
from callboard.search.terms import Vocabulary, VocabularyCache, query_words

#: Which entity refs of a list the caller may read; None means everything.
Readable = Callable[[Sequence[str]], set[str]] | None

CANDIDATES = 100
MAX_CANDIDATES = 1600
MAX_PAGE = 100
#: How deep results can be paged, and the longest term: bounds on what one query may cost.
MAX_OFFSET = 10_000
MAX_TERM = 500
FACETS = ("type", "kind", "owner", "lifecycle")


@dataclass(frozen=True)
class SearchRequest:
    term: str = ""
    types: tuple[str, ...] = ()
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    cursor: str | None = None
    limit: int = 25


@dataclass(frozen=True)
class SearchResult:
    type: str
    document: dict[str, Any]
    highlight: dict[str, str]
    rank: int


@dataclass
class SearchResponse:
    results: list[SearchResult]
    total: int
    more: bool  # the total is a lower bound: there were more matches than were looked at
    offset: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    corrections: dict[str, str] = field(default_factory=dict)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = data["o"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InputError("pageCursor is not a cursor this server gave out; start again without it") from None
    if type(offset) is not int or not 0 <= offset <= MAX_OFFSET:
        raise InputError("pageCursor is not a cursor this server gave out; start again without it")
    return offset


class SearchService:
    def __init__(self, engine: SearchEngine, *, vocabulary: VocabularyCache | None = None) -> None:
        self.engine = engine
        self.vocabulary = vocabulary or VocabularyCache(engine.vocabulary_texts, engine.version)

    def query(self, request: SearchRequest, readable: Readable = None) -> SearchResponse:
        if not 1 <= request.limit <= MAX_PAGE:
            raise InputError(f"pageLimit must be between 1 and {MAX_PAGE}")
        offset = decode_cursor(request.cursor) if request.cursor else 0
        typed = query_words(request.term)
        corrections = self._corrections(typed)
        spellings = tuple((word, corrections[word]) if word in corrections else (word,) for word in typed)
        engine_filters = {k: v for k, v in request.filters.items() if k in FILTER_FIELDS and v}
        other_filters = {k: v for k, v in request.filters.items() if k not in FILTER_FIELDS and v}
        match = Match(spellings, "all", request.types, engine_filters)
        ranked, more = self._readable_ranked(match, offset + request.limit, readable, other_filters)
        if not ranked and len(spellings) > 1:
            # Nothing holds every word: show what holds some of them rather than nothing.
            match = Match(spellings, "any", request.types, engine_filters)
            ranked, more = self._readable_ranked(match, offset + request.limit, readable, other_filters)
        page = ranked[offset : offset + request.limit]
        documents = self.engine.documents([item.candidate.id for item in page])
        results = [
            SearchResult(document.type, document.as_result(), highlight(document, spellings), rank)
            for rank, (item, document) in enumerate(
                ((item, documents[item.candidate.id]) for item in page if item.candidate.id in documents),
                start=offset + 1,
            )
        ]
        return SearchResponse(
            results=results,
            total=len(ranked),
            more=more,
            offset=offset,
            next_cursor=encode_cursor(offset + request.limit) if offset + request.limit < len(ranked) else None,
            previous_cursor=encode_cursor(max(0, offset - request.limit)) if offset > 0 else None,
            facets=_facets(ranked),
            corrections=corrections,
        )

    def _corrections(self, typed: Sequence[str]) -> dict[str, str]:
        vocabulary: Vocabulary | None = self.vocabulary.get()
        if vocabulary is None:
            return {}
        found = {word: vocabulary.correct(word) for word in typed}
        return {word: corrected for word, corrected in found.items() if corrected}

    def _readable_ranked(
        self, match: Match, wanted: int, readable: Readable, other_filters: Mapping[str, tuple[str, ...]]
    ) -> tuple[list[Ranked], bool]:
        """Ranked results the caller may see; asks the engine for more while permissions hide too many."""
        limit = max(CANDIDATES, wanted)
        while True:
            found, more = self.engine.candidates(match, limit)
            visible = _only_readable(self._only_matching(found, other_filters), readable)
            ranked = rank(visible, match.words)
            if len(ranked) >= wanted or not more or limit >= MAX_CANDIDATES:
                return ranked, more
            limit *= 2

    def _only_matching(self, found: list[Candidate], filters: Mapping[str, tuple[str, ...]]) -> list[Candidate]:
        """Candidates whose document fields hold the filters on fields the index has no column for."""
        if not filters:
            return found
        wanted = {key: {value.lower() for value in values} for key, values in filters.items()}
        documents = self.engine.documents([candidate.id for candidate in found])
        return [
            candidate
            for candidate in found
            if candidate.id in documents
            and all(
                str(documents[candidate.id].fields.get(key, "")).lower() in values for key, values in wanted.items()
            )
        ]

    def suggest(self, term: str, readable: Readable = None, limit: int = 8) -> list[SearchResult]:
        """The first results for what is typed so far: the header box's suggestions."""
        if not term.strip():
            return []
        return self.query(SearchRequest(term=term, limit=limit), readable).results


def _only_readable(found: list[Candidate], readable: Readable) -> list[Candidate]:
    if readable is None:
        return found
    refs = sorted({c.resource_ref for c in found if c.resource_ref})
    allowed = readable(refs) if refs else set()
    return [c for c in found if c.resource_ref is None or c.resource_ref in allowed]


def _facets(ranked: Sequence[Ranked]) -> dict[str, list[tuple[str, int]]]:
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for item in ranked:
        found = item.candidate
        counters["type"][found.type] += 1
        for name, value in (("kind", found.kind), ("owner", found.owner), ("lifecycle", found.lifecycle)):
            if value:
                counters[name][value] += 1
    return {name: counter.most_common(20) for name, counter in counters.items()}
