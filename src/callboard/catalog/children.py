"""The entities a location gives: each as canonical JSON text, and as many as it gives without running out
of memory.

One Location can list thousands of files and so give a million entities. They are read before the engine
writes anything, so they wait somewhere meanwhile: in memory up to ``SPILL_AFTER`` of them, and beyond that
in an anonymous temporary file in the portal's data folder (gone when the list is), so that the worker's
memory does not grow with the size of the location (a million entities held as text took 3 GB).
"""

from __future__ import annotations

import hashlib
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from callboard.catalog.stitching import canonical_bytes, load_json
from callboard.core.entity import Entity

#: Children kept in memory before the rest go to a temporary file (about 20 MB of entities).
SPILL_AFTER = 10_000
#: Children written to the temporary file together (one pickle each).
_SPILL_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class ChildEntity:
    """An entity read from a location, owned by ``location_key`` (first owner wins on conflicts).

    It is held as canonical JSON text: a location can emit 10^5 children, and text takes a fraction of the
    memory of the parsed objects.
    """

    text: str
    location_key: str
    entity_ref: str
    unprocessed_hash: str
    entity_id: str | None = None  # kept when entities are imported, so uids survive the round trip
    imported: bool = False

    @classmethod
    def of(
        cls, entity: Entity, location_key: str, entity_ref: str, *, entity_id: str | None = None, imported: bool = False
    ) -> ChildEntity:
        data = canonical_bytes(entity)
        return cls(data.decode(), location_key, entity_ref, hashlib.sha256(data).hexdigest(), entity_id, imported)

    @property
    def entity(self) -> Entity:
        entity: Entity = load_json(self.text)
        return entity


class ChildList:
    """Children in the order they were added; iterate it as often as needed, ``close`` it when done."""

    def __init__(
        self, children: Iterable[ChildEntity] = (), *, spill_after: int | None = None, spill_dir: Path | None = None
    ) -> None:
        self._spill_after = SPILL_AFTER if spill_after is None else spill_after
        self._spill_dir = spill_dir
        self._kept: list[ChildEntity] = []  # the first ``spill_after``
        self._pending: list[ChildEntity] = []  # added after them, not yet written to the file
        self._file: IO[bytes] | None = None
        self._count = 0
        self.extend(children)

    def append(self, child: ChildEntity) -> None:
        self._count += 1
        if len(self._kept) < self._spill_after:
            self._kept.append(child)
            return
        self._pending.append(child)
        if len(self._pending) >= _SPILL_CHUNK:
            self._spill()

    def extend(self, children: Iterable[ChildEntity]) -> None:
        for child in children:
            self.append(child)

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[ChildEntity]:
        yield from self._kept
        if self._file is not None:
            self._file.seek(0)
            while True:
                try:
                    chunk: list[ChildEntity] = pickle.load(self._file)  # our own file, written above
                except EOFError:
                    break
                yield from chunk
        yield from self._pending

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _spill(self) -> None:
        if self._file is None:
            if self._spill_dir is not None:
                self._spill_dir.mkdir(parents=True, exist_ok=True)
            # Closed by close(), or with the list; never named on disk, so nothing is left behind.
            self._file = tempfile.TemporaryFile(prefix="callboard-children-", dir=self._spill_dir)  # noqa: SIM115
        self._file.seek(0, 2)  # at the end, wherever a read (perhaps abandoned half-way) left the position
        pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._pending = []
