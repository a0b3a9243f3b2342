"""Aggregate answers (counts and facet counts) kept until the catalog changes.

Each answer is stored with the catalog's generation when it was computed; a reader checks the generation
(one primary-key read on the same connection) and reuses the answer while it is unchanged, so the result is
exactly what the query would return, on every replica. Only small answers are kept (numbers and value
counts, never entities), in a bounded least-recently-used table.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

#: Distinct aggregate questions remembered per process (each a handful of numbers).
CAPACITY = 2048


class ReadCache:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._answers: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def peek(self, key: Hashable, generation: int) -> tuple[bool, Any]:
        """``(True, answer)`` if ``key`` is known at ``generation``, else ``(False, None)``; computes nothing."""
        with self._lock:
            found = self._answers.get(key)
            if generation >= 0 and found is not None and found[0] == generation:
                self._answers.move_to_end(key)
                self.hits += 1
                return True, found[1]
        return False, None

    def get(self, key: Hashable, generation: int, compute: Callable[[], T]) -> T:
        """``compute()``'s answer for ``key`` at ``generation``, computed again only when the catalog moved on."""
        if generation < 0:
            return compute()
        with self._lock:
            found = self._answers.get(key)
            if found is not None and found[0] == generation:
                self._answers.move_to_end(key)
                self.hits += 1
                answer: T = found[1]
                return answer
            self.misses += 1
        value = compute()
        with self._lock:
            self._answers[key] = (generation, value)
            self._answers.move_to_end(key)
            while len(self._answers) > self._capacity:
                self._answers.popitem(last=False)
        return value
