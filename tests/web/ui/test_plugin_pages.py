"""Cards, tabs and sidebar entries from a plugin appear on the pages, the way the built-in ones do."""

from __future__ import annotations

import re
import threading
import time
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard import hookimpl
from callboard.app import create_runtime
from callboard.assembly import create_callboard, create_plugin_manager
from callboard.config_loader import LoadedConfig
from callboard.core.extensions import EntityCard, EntityContext, EntityTab, NavItem
from callboard.plugins.manager import PluginError
from callboard.settings import settings_from
from tests.catalog.fixtures import config, write_catalog
from tests.support import AUTH, Server, with_test_access, write


def on_call(context: EntityContext) -> Mapping[str, Any]:
    owners = [r["targetRef"] for r in context.entity.get("relations", []) if r["type"] == "ownedBy"]
    return {"who": owners[0] if owners else "nobody", "count": context.catalog.count({"kind": "component"})}


def broken(context: EntityContext) -> Mapping[str, Any]:
    raise RuntimeError("the on-call service is down")


#: Set when the "slow service" behind the slow card answers.
SLOW_SERVICE_ANSWERS = threading.Event()


def slow(context: EntityContext) -> Mapping[str, Any]:
    SLOW_SERVICE_ANSWERS.wait(30)
    return on_call(context)


def plugin_module(templates: Path) -> types.ModuleType:
    module = types.ModuleType("oncall_plugin")
    module.CALLBOARD_PLUGIN_API = "1.0"  # type: ignore[attr-defined]

    def register_entity_cards() -> list[EntityCard]:
        return [
            EntityCard("on-call", "On call", "oncall.html", "side", 5, context=on_call, template_dir=str(templates)),
            EntityCard(
                "lazy-on-call",
                "Later",
                "oncall.html",
                "main",
                99,
                context=on_call,
                lazy=True,
                template_dir=str(templates),
            ),
            EntityCard("broken", "Broken card", "oncall.html", "main", 98, context=broken, template_dir=str(templates)),
            EntityCard("slow", "Slow", "oncall.html", "main", 97, context=slow, lazy=True, template_dir=str(templates)),
        ]

    def register_entity_tabs() -> list[EntityTab]:
        only_components = lambda entity: entity["kind"] == "Component"  # noqa: E731
        return [EntityTab("incidents", "Incidents", "oncall.html", 50, only_components, on_call, str(templates))]

    def register_nav_items() -> list[NavItem]:
        return [NavItem("On call", "/catalog?kind=group", 50)]

    for function in (register_entity_cards, register_entity_tabs, register_nav_items):
        setattr(module, function.__name__, hookimpl(function))
    return module


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    tmp = tmp_path_factory.mktemp("plugin-pages")
    templates = tmp / "templates"
    write(templates / "oncall.html", '<p class="oncall">Paging {{ who }} ({{ count }} components)</p>')
    root = write_catalog(tmp / "repo")
    plugins = create_plugin_manager()
    plugins.register(plugin_module(templates), "oncall", "oncall-callboard")
    settings = settings_from(LoadedConfig(with_test_access(config(root, {"connection": str(tmp / "db.sqlite")})), []))
    runtime = create_runtime(create_callboard(settings, plugins), cwd=tmp)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        with (
            Server(runtime.web) as server,
            httpx.Client(base_url=server.url, headers={"accept": "text/html", **AUTH}) as http,
        ):
            yield http
    finally:
        runtime.close()


def first_component(http: httpx.Client) -> str:
    entity = http.get("/api/catalog/entities", params={"filter": "kind=component", "limit": 1}).json()[0]
    return f"/catalog/default/component/{entity['metadata']['name']}"


def test_a_plugin_card_renders_with_its_own_template_and_context(portal: httpx.Client) -> None:
    page = portal.get(first_component(portal)).text
    assert re.search(r'<p class="oncall">Paging (group|user):default/[a-z-]+ \(\d+ components\)</p>', page)
    assert page.index("card-on-call") < page.index("card-links")  # weight 5 sorts before Links (10)


def test_a_failing_card_shows_its_error_and_the_page_still_renders(portal: httpx.Client) -> None:
    response = portal.get(first_component(portal))
    assert response.status_code == 200
    assert "Broken card could not be shown" in response.text and "the on-call service is down" in response.text
    assert "card-about" in response.text


def test_lazy_cards_load_through_their_own_route(portal: httpx.Client) -> None:
    href = first_component(portal)
    page = portal.get(href).text
    assert f'hx-get="{href}/cards/lazy-on-call"' in page
    assert '<p class="oncall">' in portal.get(f"{href}/cards/lazy-on-call").text
    assert portal.get(f"{href}/cards/no-such-card").status_code == 404


def test_cards_waiting_on_a_slow_service_do_not_hold_the_api_up(portal: httpx.Client) -> None:
    href = first_component(portal)
    SLOW_SERVICE_ANSWERS.clear()
    answers: list[int] = []
    # More waiting cards than the server has request threads (web.server.REQUEST_THREADS is 4).
    waiting = [
        threading.Thread(target=lambda: answers.append(portal.get(f"{href}/cards/slow", timeout=60).status_code))
        for _ in range(8)
    ]
    for thread in waiting:
        thread.start()
    try:
        time.sleep(0.5)  # let the card requests reach the server first
        api = portal.get("/api/catalog/entities", params={"filter": "kind=component", "limit": 1}, timeout=60)
        assert api.status_code == 200
        assert not answers, "the API answered only after the slow cards"
    finally:
        SLOW_SERVICE_ANSWERS.set()
        for thread in waiting:
            thread.join(60)
    assert answers == [200] * 8


def test_plugin_tabs_apply_only_where_they_say(portal: httpx.Client) -> None:
    href = first_component(portal)
    assert f'href="{href}/incidents"' in portal.get(href).text
    assert "Paging" in portal.get(f"{href}/incidents").text
    group = portal.get("/api/catalog/entities", params={"filter": "kind=group", "limit": 1}).json()[0]
    assert portal.get(f"/catalog/default/group/{group['metadata']['name']}/incidents").status_code == 404


def test_plugin_nav_items_join_the_sidebar_in_weight_order(portal: httpx.Client) -> None:
    sidebar = portal.get("/catalog").text.split('id="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert sidebar.index(">APIs<") < sidebar.index(">On call<") < sidebar.index(">Register<")


def test_two_plugins_with_one_card_id_stop_start_up(tmp_path: Path) -> None:
    plugins = create_plugin_manager()
    plugins.register(plugin_module(tmp_path), "oncall", "oncall-callboard")
    plugins.register(plugin_module(tmp_path), "oncall2", "other-package")
    with pytest.raises(PluginError, match=r"entity card 'on-call' is registered by both oncall2? and oncall2?"):
        plugins.entity_cards()
