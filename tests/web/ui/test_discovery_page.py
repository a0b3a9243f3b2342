"""The Discovery page over the demo's sample repositories: each source, what it read and gives, the entities
nobody owns, and the written fields the repository contradicts, in a browser."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.ui.conftest import Portal, running_portal

SHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The demo with its discovery source read (the ``page`` fixture signs in as its guest)."""
    with running_portal(tmp_path_factory.mktemp("discovery-page"), discover=True) as running:
        yield running


def _unowned(entities: list[dict[str, Any]]) -> list[str]:
    found = []
    for entity in entities:
        fields = json.loads(entity["metadata"]["annotations"]["callboard.dev/provenance"])["fields"]
        if entity["kind"] == "Component" and fields["spec.owner"]["source"] == "discovery configuration":
            found.append(entity["metadata"]["name"])
    return found


def test_the_discovery_page_lists_sources_unowned_entities_and_contradictions(portal: Portal, page: Page) -> None:
    (provider,) = portal.runtime.discovery
    report = provider.last_report
    assert report is not None
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto("/catalog")
    page.get_by_role("link", name="Discovery").click()
    expect(page.get_by_role("heading", name="Discovery", exact=True)).to_be_visible()
    source = page.locator(".discovery-source")
    expect(source.get_by_role("heading", name="sample-repos")).to_be_visible()
    expect(source.locator(".discovery-tiles li").first).to_contain_text(f"{report.scanned + report.reused}")
    expect(source.locator(".discovery-tiles li").nth(1)).to_contain_text(f"{len(report.entities)}")
    contradicted = source.locator("table tbody tr")
    expect(contradicted.filter(has_text="spec.owner").first).to_contain_text("catalog-info.yaml")
    unowned = _unowned(report.entities)
    assert unowned, "the demo has components nothing names an owner for"
    expect(source.locator("ul.plain li")).to_have_count(len(unowned))
    page.screenshot(path=str(SHOTS / "discovery-page.png"), full_page=True)


def test_a_rescan_shows_its_counts_and_the_evidence_that_changed(portal: Portal, page: Page) -> None:
    (provider,) = portal.runtime.discovery
    clone = Path(provider.config.path or "") / "orders-service"
    (clone / "CODEOWNERS").write_text("* @acme/payments\n")
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qam", "payments owns orders"],
        cwd=clone,
        check=True,
    )
    provider.run_once()
    portal.runtime.engine.run_until_idle(60)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto("/discovery")
    source = page.locator(".discovery-source")
    expect(source).to_contain_text("1 read")
    rows = source.locator("table.discovery-changes tbody tr")
    # The API and the database the component owns are owned as it is: their owner changed too.
    expect(rows.filter(has_text="spec.owner")).to_have_count(3)
    changed = rows.filter(has=page.get_by_role("link", name="component:orders-service", exact=True))
    expect(changed).to_contain_text("spec.owner")
    expect(changed).to_contain_text("group:billing-team")
    expect(changed).to_contain_text("group:customer-team")
    page.screenshot(path=str(SHOTS / "discovery-page-changes.png"), full_page=True)
    changed.get_by_role("link").click()
    card = page.locator("table.provenance tr").filter(has_text="spec.owner")
    expect(card.locator(".field-changed")).to_contain_text("was group:customer-team")
