"""The Docs tab: built on demand, served inside the portal (sanitised), stale-while-rebuild, failures shown."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from callboard.app import Runtime
from callboard.techdocs.publisher import LocalPublisher
from callboard.techdocs.service import TechDocsService
from tests.catalog.fixtures import config
from tests.support import AUTH, Server, make_runtime, write

CATALOG = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    backstage.io/techdocs-ref: dir:.
spec: {type: service, lifecycle: production, owner: team-a}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, httpx.Client, Path]]:
    tmp = tmp_path_factory.mktemp("docs")
    repo = tmp / "repo"
    write(repo / "catalog-info.yaml", CATALOG)
    write(
        repo / "mkdocs.yml",
        "site_name: Payments\nnav:\n  - Home: index.md\n  - Guide:\n      - Setup: guide/setup.md\n",
    )
    write(
        repo / "docs" / "index.md",
        "# Payments\n\nRead the [setup](guide/setup.md).\n\n## Design\n\nText.\n\n<script>alert(1)</script>\n"
        '<a href="javascript:alert(2)">x</a>\n',
    )
    write(repo / "docs" / "guide" / "setup.md", "# Setup\n\nInstall it.\n")
    runtime = make_runtime(config(repo / "catalog-info.yaml", {"connection": str(tmp / "db.sqlite")}), tmp)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        with (
            Server(runtime.web) as server,
            httpx.Client(base_url=server.url, headers={**AUTH, "accept": "text/html"}, timeout=60) as http,
        ):
            yield runtime, http, repo
    finally:
        runtime.close()


def wait_for(http: httpx.Client, path: str, text: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = http.get(path).text
        if text in page:
            return page
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never appeared on {path}: {page[-800:]}")


def test_docs_are_built_on_first_view_and_served_inside_the_portal(site: tuple[Runtime, httpx.Client, Path]) -> None:
    _, http, _ = site
    entity = "/catalog/default/component/payments"
    assert http.get(f"{entity}/docs", follow_redirects=False).headers["location"].endswith("/docs/")
    first = http.get(f"{entity}/docs/").text
    assert "Building the docs for the first time" in first or "docs-article" in first
    page = wait_for(http, f"{entity}/docs/", 'class="docs-article"')
    assert 'href="/catalog/default/component/payments/docs/guide/setup/"' in page  # the site's navigation
    assert 'href="#design"' in page  # the table of contents
    assert "alert(1)" not in page and "javascript:alert" not in page  # sanitised
    assert 'class="entity-head"' in page  # inside the portal's layout
    setup = http.get(f"{entity}/docs/guide/setup/").text
    assert "Install it." in setup
    assert http.get(f"{entity}/docs/../../../../etc/passwd").status_code == 404


def test_a_changed_source_is_rebuilt_while_readers_get_the_last_build(site: tuple[Runtime, httpx.Client, Path]) -> None:
    runtime, http, repo = site
    entity_path = "/catalog/default/component/payments"
    wait_for(http, f"{entity_path}/docs/", 'class="docs-article"')
    entity = runtime.catalog.entity_by_name("component", "default", "payments")
    service = TechDocsService(LocalPublisher(runtime.tasks.work_dir.parent / "techdocs"), check_every=0)
    write(repo / "docs" / "guide" / "setup.md", "# Setup\n\nInstall it twice.\n")
    state = service.state(entity)
    assert state.built and state.stale and state.building  # a rebuild started ...
    assert "Install it." in service.page(entity, "guide/setup/")["html"]  # ... and readers get the last build now
    service.wait(entity)
    assert "Install it twice." in service.page(entity, "guide/setup/")["html"]
    wait_for(http, f"{entity_path}/docs/guide/setup/", "Install it twice.")


def test_a_failed_build_shows_its_log(site: tuple[Runtime, httpx.Client, Path]) -> None:
    _, http, repo = site
    entity = "/catalog/default/component/payments"
    wait_for(http, f"{entity}/docs/", 'class="docs-article"')
    write(repo / "mkdocs.yml", "site_name: Payments\nmarkdown_extensions:\n  - not_a_real_extension\n")
    page = wait_for(http, f"{entity}/docs/", "The docs could not be built")
    assert "not_a_real_extension" in page and "Build log" in page and "You are reading the last good build" in page
