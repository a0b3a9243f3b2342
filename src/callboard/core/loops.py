"""A background loop: one daemon thread per object, started once, stopped by an event it waits on."""

from __future__ import annotations

import threading


class BackgroundLoop:
    """Subclasses implement ``_loop`` and wait on ``self._stop`` between rounds, so ``stop()`` is prompt."""

    def __init__(self, thread_name: str) -> None:
        self._thread_name = thread_name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        raise NotImplementedError
