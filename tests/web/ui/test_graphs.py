"""Relation graphs, system diagrams and domain maps in a real browser: laid out by ELK, fitted to their card.

On the demo's busiest Group, System and Domain pages, at desktop and phone widths, every box lies inside its
card, no two edge labels overlap, and the subject is drawn.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.ui.test_browser import shoot

BUSIEST = {
    "group": "/catalog/default/group/shipping-team",
    "system": "/catalog/default/system/customer-portal",
    "domain": "/catalog/default/domain/logistics",
}

GEOMETRY = """() => {
  const figure = document.querySelector("figure.graph.laid-out");
  const box = (element) => { const r = element.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const canvas = figure.querySelector("svg.graph-canvas");
  return {
    card: box(figure),
    nodes: [...canvas.querySelectorAll("a.node > rect:first-of-type")].map(box),
    labels: [...canvas.querySelectorAll("text.edge-label")].map(box),
    subject: [...canvas.querySelectorAll("a.node.root")].map((node) => node.getAttribute("data-ref")),
    drawn: JSON.parse(figure.querySelector("script.graph-data").textContent).nodes.length,
  };
}"""


def geometry(page: Page) -> dict[str, Any]:
    expect(page.locator("figure.graph.laid-out")).to_have_count(1)
    found: dict[str, Any] = page.evaluate(GEOMETRY)
    return found


def inside(inner: list[float], outer: list[float]) -> bool:
    left, top, right, bottom = inner
    return left >= outer[0] - 0.5 and top >= outer[1] - 0.5 and right <= outer[2] + 0.5 and bottom <= outer[3] + 0.5


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def assert_tidy(found: dict[str, Any]) -> None:
    assert found["nodes"] and len(found["nodes"]) == found["drawn"]
    outside = [node for node in found["nodes"] if not inside(node, found["card"])]
    assert not outside, f"{len(outside)} boxes outside the card {found['card']}: {outside[:3]}"
    labels = found["labels"]
    piled = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :] if overlap(a, b)]
    assert not piled, f"edge labels overlap: {piled[:3]}"
    assert len(found["subject"]) == 1


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("name", list(BUSIEST))
def test_the_busiest_graphs_fit_their_cards(page: Page, name: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(BUSIEST[name])
    assert_tidy(geometry(page))
    page.locator("figure.graph").first.scroll_into_view_if_needed()
    shoot(page, f"graph-{name}-{width}")


def test_a_box_standing_for_several_entities_opens_into_them(page: Page) -> None:
    page.goto(BUSIEST["group"])
    before = geometry(page)
    collapsed = page.locator("svg.graph-canvas a.node.collapsed", has_text="components")
    expect(collapsed).to_have_count(1)
    count = int(re.match(r"(\d+)", collapsed.locator("text.node-name").text_content() or "").group(1))  # type: ignore[union-attr]
    collapsed.click()
    expect(page.locator("svg.graph-canvas a.node")).to_have_count(len(before["nodes"]) - 1 + count)
    assert page.url.endswith(BUSIEST["group"])  # opened in place, not followed
    after = page.evaluate(GEOMETRY)
    assert all(inside(node, after["card"]) for node in after["nodes"])
    # Without scripts the same box links to the Dependencies tab drawing every entity.
    page.goto(BUSIEST["group"] + "/dependencies?depth=1&expand=all")
    expect(page.locator("svg.graph-canvas a.node.collapsed")).to_have_count(0)
    shoot(page, "graph-group-expanded")


def test_zoom_fit_and_direction(page: Page) -> None:
    page.goto(BUSIEST["system"])
    geometry(page)
    canvas = page.locator("svg.graph-canvas")
    fitted = canvas.get_attribute("viewBox")
    page.get_by_role("button", name="Zoom in").click()
    zoomed = canvas.get_attribute("viewBox")
    assert zoomed != fitted and float(zoomed.split()[2]) < float(fitted.split()[2])  # type: ignore[union-attr]
    page.get_by_role("button", name="Fit").click()
    assert canvas.get_attribute("viewBox") == fitted
    root = page.locator("svg.graph-canvas a.node.root rect").first
    left_to_right = root.bounding_box()
    page.get_by_label("Direction").select_option("DOWN")
    page.wait_for_function(
        "fitted => document.querySelector('svg.graph-canvas').getAttribute('viewBox') !== fitted", arg=fitted
    )
    assert root.bounding_box() != left_to_right
    assert_tidy(page.evaluate(GEOMETRY))
    page.get_by_label("Direction").select_option("RIGHT")  # the choice is remembered: leave it as found


def test_depth_and_relations_redraw_without_a_button(page: Page) -> None:
    page.goto("/catalog/default/component/booking-service/dependencies")
    first = geometry(page)
    expect(page.get_by_role("button", name="Draw")).to_be_hidden()
    page.get_by_label("Depth").select_option("3")
    page.wait_for_url(re.compile(r"depth=3"))
    expect(page.locator("svg.graph-canvas a.node")).not_to_have_count(len(first["nodes"]))
    deeper = geometry(page)
    assert len(deeper["nodes"]) > len(first["nodes"])
    assert_tidy(deeper)
    page.get_by_label("dependsOn").check()
    page.wait_for_url(re.compile(r"types=dependsOn"))
    expect(page.locator(".graph-summary")).to_contain_text("boxes")
    assert_tidy(geometry(page))
