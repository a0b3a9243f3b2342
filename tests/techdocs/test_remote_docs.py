"""Docs in a repository: ``url:`` refs and ``dir:`` refs of descriptors read by URL, cloned shallowly from a
real git server on loopback, rebuilt when a push changes them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from callboard.app import Runtime
from tests.catalog.fixtures import ALL_KINDS
from tests.scaffolder.git_server import GitServer
from tests.support import AUTH, Server, make_runtime

PAYMENTS = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations: {{backstage.io/techdocs-ref: "dir:."}}
spec: {{type: service, lifecycle: production, owner: team-a}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: handbook
  annotations: {{backstage.io/techdocs-ref: "url:{git}/acme/handbook/tree/main/guide"}}
spec: {{type: documentation, lifecycle: production, owner: team-a}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: elsewhere
  annotations: {{backstage.io/techdocs-ref: "url:https://git.example.org/acme/x/tree/main/docs"}}
spec: {{type: service, lifecycle: production, owner: team-a}}
"""


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, httpx.Client, GitServer]]:
    tmp = tmp_path_factory.mktemp("remote-docs")
    with GitServer(tmp / "git") as git:
        git.seed(
            "acme",
            "payments",
            {
                "catalog-info.yaml": PAYMENTS.format(git=git.url),
                "mkdocs.yml": "site_name: Payments\n",
                "docs/index.md": "# Payments\n\nCards are charged on pickup.\n",
            },
        )
        git.seed(
            "acme",
            "handbook",
            {"guide/mkdocs.yml": "site_name: Handbook\n", "guide/docs/index.md": "# Handbook\n\nWelcome aboard.\n"},
        )
        host = git.url.removeprefix("http://")
        config: dict[str, Any] = {
            "backend": {
                "database": {"connection": str(tmp / "db.sqlite")},
                "reading": {"allow": [{"host": host}]},
            },
            "catalog": {
                "rules": [{"allow": ALL_KINDS}],
                "locations": [{"type": "url", "target": f"{git.url}/acme/payments/blob/main/catalog-info.yaml"}],
            },
        }
        runtime = make_runtime(config, tmp)
        runtime.techdocs.remote_check_every = 0.5
        try:
            runtime.catalog.sync_locations()
            runtime.engine.run_until_idle(60)
            with Server(runtime.web) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as http:
                yield runtime, http, git
        finally:
            runtime.close()


def wait_for(http: httpx.Client, path: str, text: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    page = ""
    while time.monotonic() < deadline:
        page = http.get(path, headers={"accept": "text/html"}).text
        if text in page:
            return page
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never appeared on {path}: {page[-800:]}")


def test_dir_docs_of_a_descriptor_read_by_url_come_from_its_repository(
    portal: tuple[Runtime, httpx.Client, GitServer],
) -> None:
    _, http, _ = portal
    page = wait_for(http, "/catalog/default/component/payments/docs/", 'class="docs-article"')
    assert "Cards are charged on pickup." in page


def test_a_push_is_built_and_served_after_the_last_build(portal: tuple[Runtime, httpx.Client, GitServer]) -> None:
    _, http, git = portal
    wait_for(http, "/catalog/default/component/payments/docs/", "Cards are charged on pickup.")
    git.seed("acme", "payments", {"docs/index.md": "# Payments\n\nCards are charged at booking.\n"})
    wait_for(http, "/catalog/default/component/payments/docs/", "Cards are charged at booking.")


def test_url_refs_point_at_a_folder_of_another_repository(portal: tuple[Runtime, httpx.Client, GitServer]) -> None:
    _, http, _ = portal
    page = wait_for(http, "/catalog/default/component/handbook/docs/", 'class="docs-article"')
    assert "Welcome aboard." in page


def test_a_host_that_may_not_be_read_is_named_with_the_fix(portal: tuple[Runtime, httpx.Client, GitServer]) -> None:
    _, http, _ = portal
    page = http.get("/catalog/default/component/elsewhere/docs/", headers={"accept": "text/html"}).text
    assert "git.example.org" in page and "backend.reading.allow" in page
