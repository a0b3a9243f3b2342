"""Ordering candidates the way people expect, and marking where the words were found.

The engine's full-text score decides among documents that match alike; on top of it an exact name or title
match comes first, then a title that holds every word, then a title that starts with the first word.
These rules are the same for every engine, so results do not depend on which database holds the index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice, product

from callboard.search.documents import CATALOG, SearchDocument
from callboard.search.engine import Candidate

PRE_TAG = "<mark>"
POST_TAG = "</mark>"
SNIPPET_CHARS = 220
_SUFFIXES = ("ing", "es", "ed", "s")


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float


def _stem(word: str) -> str:
    """Enough stemming to highlight ``booking`` for ``bookings``; the engines do the real stemming."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def rank(candidates: Sequence[Candidate], spellings: Sequence[Sequence[str]]) -> list[Ranked]:
    """Candidates in final order, the best docs section of each page only (one page is one result)."""
    if not candidates:
        return []
    top = max(candidate.score for candidate in candidates) or 1.0
    # Every way of reading the words (as typed, as corrected) counts as "the exact name".
    phrases = {" ".join(words_) for words_ in islice(product(*spellings), 16)} if spellings else set()
    ranked = []
    for candidate in candidates:
        score = max(candidate.score, 0.0) / top
        title_words = candidate.title_words.split()
        name_words = candidate.name.replace("-", " ").replace("_", " ").replace(".", " ").lower().split()
        if phrases & {" ".join(title_words), " ".join(name_words)}:
            score += 3.0
        if spellings and all(_any_prefix(alternatives, title_words + name_words) for alternatives in spellings):
            score += 1.5
        if spellings and title_words and any(title_words[0].startswith(word) for word in spellings[0]):
            score += 0.5
        if candidate.type == CATALOG:
            score += 0.2  # the thing itself before pages about it, when the words fit both alike
        ranked.append(Ranked(candidate, score))
    ranked.sort(key=lambda item: (-item.score, item.candidate.title.lower(), item.candidate.key))
    return _one_per_page(ranked)


def _any_prefix(alternatives: Sequence[str], found: Sequence[str]) -> bool:
    return any(word.startswith(alternative) for alternative in alternatives for word in found)


def _one_per_page(ranked: list[Ranked]) -> list[Ranked]:
    """Each docs page once, where its best match ranks. The page itself stands for its sections unless a
    section fits clearly better (its own words matched, not just the page title it repeats)."""
    pages: dict[str, Ranked] = {}
    for item in ranked:
        location = item.candidate.location
        if item.candidate.type != CATALOG and "#" not in location:
            pages[location] = item
    seen: set[str] = set()
    kept = []
    for item in ranked:
        if item.candidate.type == CATALOG:
            kept.append(item)
            continue
        page = item.candidate.location.split("#", 1)[0]
        if page in seen:
            continue
        seen.add(page)
        whole = pages.get(page)
        kept.append(Ranked(whole.candidate, item.score) if whole and whole.score >= item.score - 0.5 else item)
    return kept


def _pattern(spellings: Sequence[Sequence[str]]) -> re.Pattern[str] | None:
    stems = sorted({_stem(word) for alternatives in spellings for word in alternatives}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"(?<![^\W_])(" + "|".join(re.escape(stem) for stem in stems) + r")[^\W_]*", re.IGNORECASE)


def highlight(document: SearchDocument, spellings: Sequence[Sequence[str]]) -> dict[str, str]:
    """Title and a text snippet with each found word between ``PRE_TAG`` and ``POST_TAG``.

    The text is raw (not HTML-escaped), as in Backstage's API: a client splits on the tags and escapes the
    rest. The snippet is a window of the text around the first found word.
    """
    pattern = _pattern(spellings)
    text = document.text
    if pattern is None:
        return {"title": document.title, "text": text[:SNIPPET_CHARS]}
    found = pattern.search(text)
    if len(text) > SNIPPET_CHARS:
        start = max(0, (found.start() if found else 0) - SNIPPET_CHARS // 4)
        start = text.rfind(" ", 0, start) + 1 if start else 0
        end = text.find(" ", start + SNIPPET_CHARS)
        window = text[start : end if end != -1 else len(text)]
        text = ("…" if start else "") + window + ("…" if end != -1 else "")
    return {"title": _mark(pattern, document.title), "text": _mark(pattern, text)}


def _mark(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda found: f"{PRE_TAG}{found.group(0)}{POST_TAG}", text)
