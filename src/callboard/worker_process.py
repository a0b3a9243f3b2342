"""``callboard worker`` beside ``callboard serve``: background work in a process of its own.

Catalog processing, stitching, search indexing and scheduled tasks are CPU-bound Python; in the web
server's process they hold its interpreter lock while requests wait. With two or more cores, ``serve``
starts them in a child process on the same configuration (both coordinate through the database, as
replicas do), so request latency does not depend on how much the catalog is changing. The child is
restarted if it dies, with a growing pause, and stopped with the server.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("callboard.worker")

#: The longest pause before restarting a worker that keeps dying (the pause doubles from one second).
MAX_RESTART_PAUSE = 60.0
#: How much lower the worker's scheduling priority is than its server's (``nice``): with both busy, the
#: operating system runs request handling first, and reads stay fast while the catalog ingests.
BACKGROUND_NICENESS = 10


def exit_with(parent: int) -> None:
    """In a worker: stop (as if sent SIGTERM) once process ``parent`` is gone (checked every second)."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def separate_by_default() -> bool:
    """A separate worker pays off when there is a second core for it."""
    return (os.cpu_count() or 1) >= 2


class WorkerProcess:
    def __init__(self, config_files: Sequence[Path], *, cwd: Path | None = None) -> None:
        # The child leaves with its parent even if the parent is killed outright (``--exit-with``), and it
        # is in a session of its own, so a Ctrl-C in a terminal reaches the server, which then stops it.
        self._command = [sys.executable, "-m", "callboard", "worker", "--exit-with", str(os.getpid())]
        for path in config_files:
            self._command += ["--config", str(Path(path).resolve())]
        self._cwd = cwd
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._watch: threading.Thread | None = None
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def prepare(self) -> None:
        """Start the child now, to wait for ``start``: it loads Callboard's code (about as long as the server's
        own start) while the server migrates the database and reads its configuration, which the child must
        not do beside it."""
        self._process = subprocess.Popen(
            [*self._command, "--wait-for-start"], cwd=self._cwd, start_new_session=True, stdin=subprocess.PIPE
        )

    def start(self) -> None:
        process = self._process
        if process is not None and process.stdin is not None and process.poll() is None:
            try:
                process.stdin.write(b"start\n")
                process.stdin.close()
            except BrokenPipeError:
                pass  # it died while waiting; the supervisor restarts it
        else:
            self._spawn()
        self._watch = threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True)
        self._watch.start()

    def _spawn(self) -> None:
        self._process = subprocess.Popen(self._command, cwd=self._cwd, start_new_session=True)

    def _supervise(self) -> None:
        pause = 1.0
        while not self._stopping.is_set():
            assert self._process is not None
            code = self._process.wait()
            if self._stopping.is_set():
                return
            log.warning("the background worker (pid %s) exited with %s; restarting in %.0f s", self.pid, code, pause)
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, MAX_RESTART_PAUSE)
            self.restarts += 1
            self._spawn()

    def stop(self, timeout: float = 20.0) -> None:
        """Ask the worker to finish what it holds and leave; kill it after ``timeout`` seconds."""
        self._stopping.set()
        process = self._process
        if process is None or process.poll() is not None:
            return
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()  # a child still waiting to start reads the end of its input and leaves
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the background worker did not stop within %.0f s; killing it", timeout)
            process.kill()
            process.wait()
