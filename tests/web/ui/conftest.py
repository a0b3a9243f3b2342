"""The portal as people use it: the demo catalog served on loopback, plus a 'remote repository' to register from."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

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
    reading_hosts: tuple[str, ...] = (),
    csp: Mapping[str, Any] | None = None,
    **catalog: Any,
) -> Iterator[Portal]:
    """The demo, served on a loopback port, allowed to read the loopback 'repository' (and nothing else);
    ``extra`` replaces top-level config keys (a plugin's settings)."""
    repo = tmp / "repo"
    repo.mkdir()
    with FileServer(repo) as files, database_for(backend, tmp) as database:
        config: dict[str, Any] = demo_config(tmp / "data")
        config["backend"]["database"] = database
        hosts = (files.url.removeprefix("http://"), *reading_hosts)
        config["backend"]["reading"] = {"allow": [{"host": host} for host in hosts]}
        if csp is not None:
            config["backend"]["csp"] = dict(csp)
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


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is expected at /usr/bin/chromium (apt-get install chromium; .ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def session(browser: Browser, portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Sign in once as the demo's guest, through the sign-in page; tests reuse the browser state."""
    context = browser.new_context(base_url=portal.url)
    page = context.new_page()
    page.goto("/catalog")
    page.wait_for_url(re.compile(r"/signin\?return="))  # an anonymous visitor is sent to sign in
    page.get_by_role("button", name="Continue as guest").click()
    page.wait_for_url(re.compile(r"/catalog$"))
    state = str(tmp_path_factory.mktemp("browser") / "state.json")
    context.storage_state(path=state)
    context.close()
    return state


@pytest.fixture
def page(browser: Browser, portal: Portal, session: str) -> Iterator[Page]:
    context = browser.new_context(base_url=portal.url, viewport={"width": 1400, "height": 900}, storage_state=session)
    opened = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error on {opened.url}: {message.text}")

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: problems.append(f"script error on {opened.url}: {error}"))
    # A poll cut short by navigating away is aborted by the browser, not failed by the portal.
    opened.on(
        "requestfailed",
        lambda request: (
            None
            if "ERR_ABORTED" in str(request.failure)
            else problems.append(f"request failed: {request.url} ({request.failure})")
        ),
    )
    yield opened
    context.close()
    assert not problems, "\n".join(problems)
