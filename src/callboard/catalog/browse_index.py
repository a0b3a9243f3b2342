"""An in-memory index for browsing the catalog: facet counts, totals and sorted pages in milliseconds.

The catalog page asks, on every change of a filter, for a page of entities plus how many entities each value
of five facets would leave, each counted under the *other* filters. In SQL that is one grouped scan per
facet over every entity of the kind (about 100 ms each at 100,000 entities). Here each (key, value) is a
bitset over entity positions (a Python int), so a filter is an AND of ORs and a count is a popcount. A value
few entities hold (one owner among tens of thousands) is kept as a sorted array of positions instead: a
bitset costs one bit per entity of the catalog whatever it holds, 125 KB each at a million entities.

The index is a cache of the database, rebuilt in the background when the catalog changes (its version is
the number of entities and the latest update time); readers keep using the previous one meanwhile, so
counts and order can lag a change by the time a rebuild takes (about a second at 100,000 entities).
"""

from __future__ import annotations

import heapq
import itertools
import operator
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeAlias

from callboard.core.permissions import Criteria

#: Keys the index can filter and count on (lower-case, as in the filter index).
FACET_KEYS = ("kind", "spec.type", "relations.ownedby", "spec.lifecycle", "metadata.tags", "metadata.namespace")
#: Keys the index can sort by; entities without the key sort last.
SORT_KEYS = ("metadata.name", "metadata.title", "spec.system", "spec.owner", "spec.type", "spec.lifecycle")
#: Keys the text filter matches (substring, case-insensitive).
TEXT_KEYS = ("metadata.name", "metadata.title", "spec.profile.displayname")

#: (entity_id, key, original_value) rows of the filter index for the keys above.
Rows = Iterable[tuple[str, str, str | None, str | None]]  # (entity_id, key, value as written, lower-case)

#: Sort keys whose values are mostly distinct (no point holding each value once).
_UNIQUE_KEYS = frozenset({"metadata.name", "metadata.title"})

#: Sorts after every real value: entities without the sort key go last.
_LAST = "\U0010ffff"

#: A value held by fewer than one entity in this many is a position array (4 bytes an entity) rather than a
#: bitset (one bit per entity of the catalog): the array is then the smaller of the two.
_SPARSE_RATIO = 32

#: A rebuild waits at least this many times as long as the last build took (so builds use at most a fifth of a
#: core while the catalog keeps changing).
_REBUILD_SPACING = 4

#: The entities holding one value: a bitset (an int) or, for rare values, their positions in ascending order.
Members: TypeAlias = "int | array[int]"


class Snapshot:
    """One immutable build of the index."""

    def __init__(self, ids: Sequence[str], rows: Rows) -> None:
        self.ids = list(ids)
        self.built_at = time.monotonic()
        size = len(self.ids)
        position = {entity_id: index for index, entity_id in enumerate(self.ids)}
        # Positions are collected in int arrays (4 bytes each, not a Python int and a pointer: at a million
        # entities six facets made 200 MB of lists), and the sort values of keys many entities share are
        # held once each (a million copies of "production" were 50 MB apiece).
        bits: dict[str, dict[str, array[int]]] = {key: {} for key in FACET_KEYS}
        self.labels: dict[str, dict[str, str]] = {key: {} for key in FACET_KEYS}
        self._values: dict[str, list[str]] = {key: [_LAST] * size for key in SORT_KEYS}
        shared: dict[str, dict[str, str]] = {key: {} for key in SORT_KEYS if key not in _UNIQUE_KEYS}
        text = [""] * size
        for entity_id, key, original, lowered in rows:
            if lowered is None or original is None:
                continue
            index = position.get(entity_id)
            if index is None:
                continue
            facet = bits.get(key)
            if facet is not None:
                found = facet.get(lowered)
                if found is None:
                    facet[lowered] = array("i", (index,))
                    self.labels[key][lowered] = original
                else:
                    found.append(index)
            values = self._values.get(key)
            if values is not None and lowered < values[index]:
                once = shared.get(key)
                values[index] = lowered if once is None else once.setdefault(lowered, lowered)
            if key in TEXT_KEYS:
                text[index] = f"{text[index]}\t{lowered}" if text[index] else lowered
        self.members: dict[str, dict[str, Members]] = {
            key: {value: _members(at, size) for value, at in found.items()} for key, found in bits.items()
        }
        del bits, shared
        self.everything = (1 << size) - 1
        self.text = text
        # Orders are computed now and the sort values dropped: a few arrays of ints instead of a string per
        # entity and key. Sorting by name first and then stably by each key breaks ties by name.
        by_name = sorted(range(size), key=self._values["metadata.name"].__getitem__)
        self._orders: dict[str, array[int]] = {}
        self._present: dict[str, bytearray] = {}
        for key, values in self._values.items():
            self._orders[key] = array(
                "i", by_name if key == "metadata.name" else sorted(by_name, key=values.__getitem__)
            )
            self._present[key] = bytearray(value != _LAST for value in values)
        del self._values
        self._ranks: dict[str, array[int]] = {}
        self._loaded: dict[tuple[str, tuple[str, ...] | None], int] = {}
        self._positions: dict[str, int] | None = None
        self._lock = threading.Lock()

    def order(self, sort_key: str) -> array[int]:
        """Positions in ascending order of ``sort_key``, ties by name; entities without it last."""
        return self._orders[sort_key]

    def present(self, sort_key: str) -> bytearray:
        return self._present[sort_key]

    def matching(self, chosen: Mapping[str, Sequence[str]], text: str = "", *, skip: str | None = None) -> int:
        """The bitset of entities that pass every chosen filter (values of one key are alternatives)."""
        mask = self.everything
        for key, values in chosen.items():
            if key == skip or not values:
                continue
            found = self.members.get(key, {})
            mask &= self._union(found[value] for value in {value.lower() for value in values} if value in found)
        if text:
            needle = text.lower()
            mask &= _mask((i for i, haystack in enumerate(self.text) if needle in haystack), len(self.ids))
        return mask

    def criteria_mask(self, criteria: Criteria, load: Callable[[str, tuple[str, ...] | None], Iterable[str]]) -> int:
        """The entities a permission's criteria select (any conjunction; all criteria of one).

        Keys the index holds are answered from its bitsets; others (an annotation, a label) are read once
        per snapshot through ``load(key, values)``, which returns entity ids.
        """
        result = 0
        for conjunction in criteria:
            mask = self.everything
            for key, values in conjunction:
                mask &= self._criterion_mask(key, values, load)
            result |= mask
        return result

    def _criterion_mask(
        self, key: str, values: tuple[str, ...] | None, load: Callable[[str, tuple[str, ...] | None], Iterable[str]]
    ) -> int:
        known = self.members.get(key)
        if known is not None:
            return self._union(members for value, members in known.items() if values is None or value in values)
        with self._lock:
            cached = self._loaded.get((key, values))
        if cached is None:
            position = self._position()
            cached = _mask((position[i] for i in load(key, values) if i in position), len(self.ids))
            with self._lock:
                self._loaded[(key, values)] = cached
        return cached

    def _position(self) -> dict[str, int]:
        with self._lock:
            if self._positions is None:
                self._positions = {entity_id: index for index, entity_id in enumerate(self.ids)}
            return self._positions

    def find_text(self, text: str, limit: int, within: int | None = None) -> list[str]:
        """Ids of entities whose name or title starts with ``text`` (by name), then those that contain it."""
        needle = text.lower()
        if not needle:
            return []
        word_start = "\t" + needle
        starting: list[int] = []
        containing: list[int] = []
        allowed = None if within is None else within.to_bytes((len(self.ids) + 7) // 8, "little")
        for position, haystack in enumerate(self.text):
            if needle in haystack and (allowed is None or allowed[position >> 3] >> (position & 7) & 1):
                (starting if haystack.startswith(needle) or word_start in haystack else containing).append(position)
        rank = self._rank("metadata.name")
        chosen = heapq.nsmallest(limit, starting, key=rank.__getitem__)
        if len(chosen) < limit:
            chosen += heapq.nsmallest(limit - len(chosen), containing, key=rank.__getitem__)
        return [self.ids[position] for position in chosen]

    def facet(self, key: str, within: int, limit: int) -> list[tuple[str, int]]:
        """Values of ``key`` among the entities in ``within``, with counts, most frequent first."""
        labels = self.labels[key]
        counter = _Counter(within, len(self.ids), whole=within == self.everything)
        counts = [(labels[value], counter.count(members)) for value, members in self.members[key].items()]
        counts = [item for item in counts if item[1]]
        counts.sort(key=lambda item: (-item[1], item[0]))
        return counts[:limit]

    def page(self, mask: int, sort_key: str, descending: bool, offset: int, limit: int) -> list[str]:
        """Ids of one page of the entities in ``mask``, in sort order (missing values last either way)."""
        if limit <= 0:
            return []
        order = self.order(sort_key)
        present = self.present(sort_key)
        if mask.bit_count() <= 4096:
            # Few matches: sort their positions by rank instead of walking the whole order.
            rank = self._rank(sort_key)
            ordered = sorted(_positions(mask), key=rank.__getitem__)
            if descending:
                # Descending keeps entities without the value at the end, like SQL's NULLS LAST.
                ordered = [p for p in reversed(ordered) if present[p]] + [p for p in ordered if not present[p]]
            return [self.ids[position] for position in ordered[offset : offset + limit]]
        member = mask.to_bytes((len(self.ids) + 7) // 8, "little")
        walk: Iterable[int] = order
        if descending:
            walk = itertools.chain((p for p in reversed(order) if present[p]), (p for p in order if not present[p]))
        needed, found = offset + limit, []
        for position in walk:
            if member[position >> 3] >> (position & 7) & 1:
                found.append(position)
                if len(found) >= needed:
                    break
        return [self.ids[position] for position in found[offset:]]

    def _rank(self, sort_key: str) -> array[int]:
        order = self.order(sort_key)
        with self._lock:
            rank = self._ranks.get(sort_key)
            if rank is None:
                rank = array("i", bytes(4 * len(self.ids)))
                for index, position in enumerate(order):
                    rank[position] = index
                self._ranks[sort_key] = rank
            return rank

    def _union(self, members: Iterable[Members]) -> int:
        """The bitset of the entities in any of ``members``; position arrays are set in one pass."""
        union = 0
        sparse: list[array[int]] = []
        for found in members:
            if isinstance(found, int):
                union |= found
            else:
                sparse.append(found)
        if sparse:
            union |= _mask(itertools.chain.from_iterable(sparse), len(self.ids))
        return union


class _Counter:
    """Counts how many entities of each value of a facet are in ``within``."""

    def __init__(self, within: int, size: int, *, whole: bool) -> None:
        self._within = within
        self._size = size
        self._whole = whole
        self._flags: str | None = None

    def count(self, members: Members) -> int:
        if isinstance(members, int):
            return (members & self._within).bit_count()
        if self._whole:
            return len(members)
        if self._flags is None:
            # One character per entity, "1" where it is within: a position array is then counted by picking
            # its characters in C (itemgetter) instead of testing each position in Python.
            self._flags = format(self._within, f"0{self._size}b")[::-1]
        if len(members) == 1:
            return int(self._flags[members[0]])
        picked: tuple[str, ...] = operator.itemgetter(*members)(self._flags)
        return "".join(picked).count("1")


def _members(positions: array[int], size: int) -> Members:
    if len(positions) * _SPARSE_RATIO < size:
        return array("i", sorted(positions))
    return _mask(positions, size)


def _mask(positions: Iterable[int], size: int) -> int:
    buffer = bytearray((size + 7) // 8)
    for position in positions:
        buffer[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(buffer, "little")


def _positions(mask: int) -> list[int]:
    data = mask.to_bytes((mask.bit_length() + 7) // 8, "little")
    found = []
    for byte_index, byte in enumerate(data):
        rest = byte
        while rest:
            low = rest & -rest
            found.append(byte_index * 8 + low.bit_length() - 1)
            rest ^= low
    return found


class BrowseIndex:
    """The current snapshot, rebuilt in a background thread when ``version()`` changes."""

    def __init__(
        self,
        build: Callable[[], Snapshot],
        version: Callable[[], tuple[object, ...]],
        *,
        check_every: float = 1.0,
        max_age: float = 300.0,
    ) -> None:
        self._build = build
        self._version = version
        self._check_every = check_every
        self._max_age = max_age
        self._snapshot: Snapshot | None = None
        self._snapshot_version: tuple[object, ...] | None = None
        self._checked = 0.0
        self._build_seconds = 0.0
        self._lock = threading.Lock()
        self._rebuilding: threading.Thread | None = None

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        if self._snapshot is None:
            with self._lock:
                if self._snapshot is None:
                    self._rebuild()
        elif now - self._checked >= max(self._check_every, _REBUILD_SPACING * self._build_seconds):
            # While the catalog keeps changing (a large ingestion), builds are spaced by a multiple of the last
            # build's time: at a million entities one takes seconds of a core that requests also need.
            self._checked = now
            stale = self._version() != self._snapshot_version or now - self._snapshot.built_at > self._max_age
            if stale:
                self._rebuild_in_background()
        assert self._snapshot is not None
        return self._snapshot

    def warm(self) -> None:
        """Build the first snapshot in the background, so the first catalog page does not wait for it."""
        if self._snapshot is None:
            self._rebuild_in_background()

    def catch_up(self, most_seconds: float = 0.5) -> None:
        """Rebuild now if the catalog changed and a build is quick (the last took under ``most_seconds``), so the
        page someone opens right after their own change shows it; a large catalog still rebuilds in the background."""
        if self._snapshot is not None and self._version() == self._snapshot_version:
            return
        if self._build_seconds <= most_seconds:
            with self._lock:
                self._rebuild()
        else:
            self._rebuild_in_background()

    def refresh(self) -> None:
        """Rebuild now (tests and the CLI use this after writing)."""
        with self._lock:
            self._rebuild()

    def _rebuild(self) -> None:
        version = self._version()
        started = time.monotonic()
        self._snapshot = self._build()
        self._snapshot_version = version
        self._checked = time.monotonic()
        self._build_seconds = self._checked - started

    def _rebuild_in_background(self) -> None:
        if self._rebuilding is not None and self._rebuilding.is_alive():
            return
        with self._lock:
            if self._rebuilding is not None and self._rebuilding.is_alive():
                return

            def run() -> None:
                with self._lock:
                    self._rebuild()

            self._rebuilding = threading.Thread(target=run, name="browse-index", daemon=True)
            self._rebuilding.start()
