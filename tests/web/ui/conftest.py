"""The portal as people use it: the demo catalog served on loopback, plus a 'remote repository' to register from."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from callboard.app import Runtime
from callboard.demo import demo_config
from callboard.demo.sample_repos import write_sample_repos
from tests.support import FileServer, Server, database_for, make_runtime


@dataclass
class Portal:
    url: str
    runtime: Runtime
    repo: Path  # files served at `repo_url`, as a git host serves raw files
    repo_url: str

    def settle(self) -> None:
        """Process everything queued (registrations, refreshes) before looking at the result."""
        self.runtime.engine.run_until_idle(60)


@contextlib.contextmanager
def running_portal(
    tmp: Path,
    backend: str = "sqlite",
    *,
    worker: bool = False,
    discover: bool = False,
    extra: Mapping[str, Any] | None = None,
    **catalog: Any,
) -> Iterator[Portal]:
    """The demo, served on a loopback port, allowed to read the loopback 'repository' (and nothing else);
    ``extra`` replaces top-level config keys (a plugin's settings)."""
    repo = tmp / "repo"
    repo.mkdir()
    with FileServer(repo) as files, database_for(backend, tmp) as database:
        config: dict[str, Any] = demo_config(tmp / "data")
        config["backend"]["database"] = database
        config["backend"]["reading"] = {"allow": [{"host": files.url.removeprefix("http://")}]}
        config["catalog"].update(catalog)
        # The AWS inventory's demo starts a moto server: only the tests of that demo ask for it (through extra).
        config.pop("plugins", None)
        config.update(extra or {})
        if discover:
            write_sample_repos(tmp / "data" / "repos")  # what the demo's discovery source reads
        runtime = make_runtime(config, tmp)
        try:
            runtime.catalog.sync_locations()
            for provider in runtime.discovery:
                provider.run_once()
            runtime.engine.run_until_idle(120)
            runtime.indexer.run_once()
            if worker:
                runtime.engine.start()
                runtime.tasks.start()
                runtime.indexer.start()
            with Server(runtime.web) as server:
                yield Portal(server.url, runtime, repo, files.url)
        finally:
            runtime.close()


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with running_portal(tmp_path_factory.mktemp("portal"), worker=True) as running:
        yield running
