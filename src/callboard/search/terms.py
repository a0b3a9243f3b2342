"""Query words: splitting a search term, and correcting small typos against the words the index holds.

Full-text engines match whole words and prefixes, never near misses. A word that is neither a known word
nor the start of one is replaced by the closest known word (one edit for short words, two for long ones;
a swap of two letters is one edit; same first letter) so ``bookng`` still finds ``booking``. A word that
is the start of known words is never "corrected", so a short term like ``tech`` matches ``techdocs`` and
not ``team`` (Backstage's Lunr #17669).
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

#: Words shorter than this are taken as typed: too short to correct without guessing.
MIN_CORRECTABLE = 4


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``; punctuation, dashes and underscores separate words."""
    return [word.lower() for word in _WORD.findall(text)]


def query_words(term: str, limit: int = 12) -> list[str]:
    """The distinct words of a search term, in order, at most ``limit`` (longer pastes are cut)."""
    seen: dict[str, None] = {}
    for word in words(term):
        seen.setdefault(word, None)
    return list(seen)[:limit]


@dataclass(frozen=True)
class Vocabulary:
    """The words of the index's titles and keywords, sorted for prefix checks, bucketed for typo checks."""

    sorted_words: list[str]
    frequency: Counter[str]
    by_initial: dict[str, list[str]]

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        frequency: Counter[str] = Counter()
        for text in texts:
            # Numbers (build 42, payment-ledger-1337) are never typos of each other: they stay out.
            frequency.update({word for word in words(text) if not word.isdigit()})
        by_initial: dict[str, list[str]] = {}
        for word in frequency:
            by_initial.setdefault(word[0], []).append(word)
        return cls(sorted(frequency), frequency, by_initial)

    def known(self, word: str) -> bool:
        """Whether ``word`` is a word of the index or the start of one."""
        at = bisect.bisect_left(self.sorted_words, word)
        return at < len(self.sorted_words) and self.sorted_words[at].startswith(word)

    def correct(self, word: str) -> str | None:
        """The closest known word for a word the index lacks, or None when it is known or nothing is close."""
        if len(word) < MIN_CORRECTABLE or word.isdigit() or self.known(word):
            return None
        allowed = 1 if len(word) < 8 else 2
        bucket = self.by_initial.get(word[0], [])
        found = process.extract(word, bucket, scorer=OSA.distance, score_cutoff=allowed, limit=8)
        if not found:
            return None
        # Fewest edits first, then the word more documents use.
        best = min(found, key=lambda match: (match[1], -self.frequency[match[0]], match[0]))
        return str(best[0])


class VocabularyCache:
    """One vocabulary per index version, rebuilt in the background so no query waits for it. The version
    is looked at every ``check_every`` seconds at most."""

    def __init__(
        self, load: Callable[[], Iterable[str]], version: Callable[[], object], *, check_every: float = 2.0
    ) -> None:
        self._load = load
        self._version = version
        self._check_every = check_every
        self._checked: tuple[float, object] | None = None
        self._lock = threading.Lock()
        self._current: tuple[object, Vocabulary] | None = None
        self._building = False

    def _latest_version(self) -> object:
        now = time.monotonic()
        if self._checked is None or now - self._checked[0] >= self._check_every:
            self._checked = (now, self._version())
        return self._checked[1]

    def get(self) -> Vocabulary | None:
        """The vocabulary, or None while the first one is being built; a stale one is served while rebuilding."""
        version = self._latest_version()
        current = self._current
        if current is not None and current[0] == version:
            return current[1]
        with self._lock:
            if not self._building:
                self._building = True
                threading.Thread(target=self._build, args=(version,), name="search-vocabulary", daemon=True).start()
        return current[1] if current else None

    def build_now(self) -> Vocabulary:
        version = self._version()
        self._checked = (time.monotonic(), version)
        vocabulary = Vocabulary.of(self._load())
        self._current = (version, vocabulary)
        return vocabulary

    def _build(self, version: object) -> None:
        try:
            self._current = (version, Vocabulary.of(self._load()))
        finally:
            with self._lock:
                self._building = False
