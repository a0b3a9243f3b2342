"""``callboard serve`` (the portal, with its background work beside it) and ``callboard worker`` (only the
background work, for a process or machine of its own)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from callboard import __version__
from callboard.cli_plugins import ConfigOption, RuntimeFor
from callboard.config_loader import ConfigError
from callboard.listening import why_cannot_listen
from callboard.settings import load_settings
from callboard.worker_process import BACKGROUND_NICENESS, WorkerProcess, separate_by_default
from callboard.worker_process import exit_with as watch_parent

if TYPE_CHECKING:
    from callboard.app import Runtime


def serve_web(
    runtime: Runtime,
    host: str,
    port: int,
    *,
    worker: bool,
    worker_process: WorkerProcess | None = None,
    err: Console | None = None,
) -> None:
    """Serve the web app until stopped; background work in ``worker_process``, or here when ``worker``."""
    import uvicorn

    from callboard.app import HTTP_PROTOCOL
    from callboard.auth.service import AuthSetupError

    err = err or Console(stderr=True)
    try:
        runtime.auth.check_setup(host)
    except AuthSetupError as error:
        err.print(f"[red]error:[/red] {error}")
        runtime.close()
        raise typer.Exit(2) from None
    runtime.catalog.sync_locations()
    runtime.catalog.views.warm_browse_index()
    if worker_process is not None:
        worker_process.start()
    elif worker:
        runtime.start_background()
    where = "in a worker process" if worker_process is not None else ("here" if worker else "elsewhere")
    err.print(
        f"Callboard {__version__} on http://{host}:{port}  (database: {runtime.database.describe()}; "
        f"background work {where})"
    )
    # uvicorn stops gracefully on SIGTERM and then raises the signal again. With the default disposition that
    # ended the process at once, before the runtime below was closed: plugins' shutdown hooks never ran (the
    # demo's Prometheus outlived it). Raised as SystemExit, the signal unwinds through the ``finally``.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if main_thread else None
    try:
        uvicorn.run(
            runtime.web,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            http=HTTP_PROTOCOL,
        )
    finally:
        if worker_process is not None:
            worker_process.stop()
        runtime.close()
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        err.print("Callboard stopped")


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def add_serve_commands(cli: typer.Typer, runtime_for: RuntimeFor, err: Console) -> None:
    @cli.command("serve")
    def serve(
        config: ConfigOption = None,
        host: Annotated[str | None, typer.Option(help="Address to listen on (default: backend.listen.host).")] = None,
        port: Annotated[int | None, typer.Option(help="Port (default: backend.listen.port, 7007).")] = None,
        worker: Annotated[bool, typer.Option(help="Run background work (catalog processing, indexing, tasks).")] = True,
        worker_process: Annotated[
            bool | None,
            typer.Option(
                "--worker-process/--in-process",
                help="Background work in a child process (the default with 2+ cores) or in this process.",
            ),
        ] = None,
    ) -> None:
        """Run the portal: the web app and API, and (by default) the background work beside it."""
        try:
            listen = load_settings(config).backend.listen
        except ConfigError as error:
            err.print(f"[red]error:[/red] {error}")
            raise typer.Exit(2) from None
        host, port = host or listen.host, port if port is not None else listen.port
        problem = why_cannot_listen(host, port)
        if problem:
            err.print(
                f"[red]error:[/red] {problem}.\nStop it, or choose another port with --port or backend.listen.port."
            )
            raise typer.Exit(2)
        separate = worker and (separate_by_default() if worker_process is None else worker_process)
        child = WorkerProcess(config or [], cwd=Path.cwd()) if separate else None
        if child is not None:
            child.prepare()
        try:
            runtime = runtime_for(config)
            _configure_logging(runtime)
        except BaseException:
            if child is not None:
                child.stop()
            raise
        serve_web(
            runtime,
            host,
            port,
            worker=worker,
            worker_process=child,
            err=err,
        )

    @cli.command("worker")
    def worker(
        config: ConfigOption = None,
        exit_with: Annotated[int | None, typer.Option(hidden=True, help="Stop when this process is gone.")] = None,
        wait_for_start: Annotated[
            bool, typer.Option(hidden=True, help="Wait for a line on standard input before starting.")
        ] = False,
    ) -> None:
        """Run only background work: catalog processing, scaffolder tasks, search indexing (beside serve)."""
        # Block the stop signals before any thread starts, so that sigwait (not a default handler) receives them.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        if exit_with is not None:
            watch_parent(exit_with)
            # Beside a server on the same machine, background work gives way to requests when both want a core.
            os.nice(BACKGROUND_NICENESS)
        if wait_for_start:
            # Load the runtime's code (about 0.7 s) while the server starts, not after it says so.
            import callboard.app  # noqa: F401

            if not sys.stdin.readline():
                return  # the server stopped before it was ready
        runtime = runtime_for(config)
        _configure_logging(runtime)
        runtime.catalog.sync_locations()
        err.print(f"Callboard worker {runtime.engine.owner} processing {runtime.database.describe()}")
        runtime.start_background()
        try:
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
        finally:
            err.print(f"worker {runtime.engine.owner} stopping after {runtime.engine.processed_total} items")
            runtime.close()


def _configure_logging(runtime: Runtime) -> None:
    from callboard.logs import configure_logging

    configure_logging(str(runtime.callboard.settings.auth.get("environment") or "development"))
