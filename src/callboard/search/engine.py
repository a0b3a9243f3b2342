"""The interface between search and wherever documents are indexed.

Callboard's engines keep the index in its own database (``store.py``: SQLite FTS5, PostgreSQL full-text).
An engine for OpenSearch or another service can come as a plugin (hook ``search_engine``) by implementing
``SearchEngine``. Engines find candidates; ranking details, typo tolerance, permissions and highlighting
are the service's, so every engine behaves the same to users.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from callboard.search.documents import SearchDocument

#: Fields a search may filter on, with the document column each reads.
FILTER_FIELDS = ("kind", "owner", "lifecycle")


@dataclass(frozen=True)
class Match:
    """What to look for: each entry is one typed word with its accepted spellings (the word, a correction);
    every entry must match (``all``) or any may (``any``). The last word also matches as a prefix: it is
    the one still being typed."""

    words: tuple[tuple[str, ...], ...]
    mode: str = "all"
    types: tuple[str, ...] = ()
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A match, with only what ranking, permissions and facets need; ``documents`` loads the rest."""

    id: int
    type: str
    key: str
    title: str
    title_words: str  # the title's words, lower-cased, one space apart
    location: str
    resource_ref: str | None
    kind: str | None
    owner: str | None
    lifecycle: str | None
    score: float  # the engine's relevance, higher is better, comparable only within one answer

    @property
    def name(self) -> str:
        """The entity's name for catalog documents (their key is the entity ref)."""
        return self.key.rsplit("/", 1)[-1] if self.type == "software-catalog" else ""


class SearchEngine(Protocol):
    name: str

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Add documents or replace those with the same (type, key)."""

    def delete(self, type: str, keys: Sequence[str]) -> None: ...

    def replace_resource(self, type: str, resource_ref: str, documents: Sequence[SearchDocument]) -> None:
        """Make ``documents`` the only documents of ``type`` for one entity (a rebuilt docs site)."""

    def keys(self, type: str) -> set[str]: ...

    def keys_after(self, type: str, after: str, limit: int) -> list[str]:
        """Up to ``limit`` keys of ``type`` after ``after``, in the database's key order (a page at a time)."""

    def count(self, type: str | None = None) -> int: ...

    def candidates(self, match: Match, limit: int) -> tuple[list[Candidate], bool]:
        """About the best ``limit`` matches, best first (with no words: in title order), and whether there
        were more matches than that."""

    def documents(self, ids: Sequence[int]) -> dict[int, SearchDocument]:
        """Whole documents by candidate id."""

    def vocabulary_texts(self) -> Iterator[str]:
        """Titles and keywords of every document: what typo correction may correct to."""

    def version(self) -> tuple[Any, ...]:
        """Changes whenever the index changes."""

    def load_state(self, collator: str) -> dict[str, Any]: ...

    def save_state(self, collator: str, state: Mapping[str, Any]) -> None: ...

    def size(self) -> dict[str, int]:
        """Bytes and rows the index takes, for benchmarks and the status page."""


def as_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))
