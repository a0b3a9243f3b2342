"""The policy from app-config, enforced where the catalog is read and changed; changes and proxy calls audited."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from callboard.cli import cli
from callboard.core.permissions import SYSTEM
from tests.auth.conftest import CI_TOKEN, LIMITED_TOKEN, Secured
from tests.support import TEST_TOKEN


def kinds(entities: list[dict[str, object]]) -> set[object]:
    return {entity["kind"] for entity in entities}


def test_a_conditional_read_filters_every_list_in_the_query(secured: Secured) -> None:
    with secured.client(LIMITED_TOKEN) as limited, secured.client(TEST_TOKEN) as full:
        assert kinds(limited.get("/api/catalog/entities").json()) == {"Component"}
        assert len(kinds(full.get("/api/catalog/entities").json())) > 3
        page = limited.get("/api/catalog/entities/by-query", params={"limit": 1}).json()
        assert page["totalItems"] == 3 and kinds(page["items"]) == {"Component"}
        following = limited.get(
            "/api/catalog/entities/by-query", params={"cursor": page["pageInfo"]["nextCursor"]}
        ).json()
        assert kinds(following["items"]) == {"Component"}
        facets = limited.get("/api/catalog/entity-facets", params={"facet": "kind"}).json()["facets"]["kind"]
        assert facets == [{"value": "Component", "count": 3}]
        refs = limited.post(
            "/api/catalog/entities/by-refs",
            json={"entityRefs": ["api:default/artist-api", "component:default/artist-web"]},
        )
        assert [item and item["kind"] for item in refs.json()["items"]] == [None, "Component"]


def test_an_entity_the_caller_may_not_read_does_not_exist_for_them(secured: Secured) -> None:
    with secured.client(LIMITED_TOKEN) as limited:
        assert limited.get("/api/catalog/entities/by-name/api/default/artist-api").status_code == 404
        assert limited.get("/api/catalog/entities/by-name/component/default/artist-web").status_code == 200
        page = limited.get("/catalog/default/api/artist-api", headers={"accept": "text/html"})
        assert page.status_code == 404


def test_the_catalog_page_counts_only_what_the_caller_may_read(secured: Secured) -> None:
    with secured.client(LIMITED_TOKEN) as limited:
        html = limited.get("/catalog?kind=component", headers={"accept": "text/html"}).text
        assert "1–3 of 3 components" in html
        tabs = re.findall(r'aria-label="Kinds">(.*?)</nav>', html, re.S)[0]
        assert "Component" in tabs and "API" not in tabs and "Group" not in tabs
        assert "No APIs match" in limited.get("/apis", headers={"accept": "text/html"}).text
        jump = limited.get("/ui/quick-jump", params={"q": "artist"}, headers={"accept": "text/html"}).text
        assert "artist-web" in jump and "artist-api" not in jump


def test_owners_may_delete_including_through_a_parent_group(secured: Secured) -> None:
    uid = secured.runtime.catalog.entity_by_name("domain", "default", "music")["metadata"]["uid"]
    outsider = secured.token_for("user:default/bob", "group:default/team-b")
    with secured.client(outsider) as bob:
        refused = bob.delete(f"/api/catalog/entities/by-uid/{uid}")
        assert refused.status_code == 403 and "catalog.entity.delete" in refused.json()["error"]["message"]
    # jane's token carries team-a and its parent, platform, which owns the domain.
    jane = secured.token_for("user:default/jane", "group:default/team-a", "group:default/platform")
    with secured.client(jane) as client:
        assert client.delete(f"/api/catalog/entities/by-uid/{uid}").status_code == 204
    rows = secured.runtime.audit.read(SYSTEM, actions=["catalog.entity.delete"])
    assert rows[0]["actor"] == "user:default/jane" and rows[0]["target"] == "domain:default/music"
    secured.runtime.engine.run_until_idle(30)  # the domain's location brings it back


def test_a_denied_permission_is_403_with_the_permission_named(secured: Secured) -> None:
    with secured.client(LIMITED_TOKEN) as limited, secured.client(TEST_TOKEN) as full:
        location = full.get("/api/catalog/locations").json()[0]["data"]
        response = limited.delete(f"/api/catalog/locations/{location['id']}")
        assert response.status_code == 403
        assert (
            "service:limited may not unregister locations (catalog.location.delete)"
            in response.json()["error"]["message"]
        )


def test_the_audit_page_needs_audit_read(secured: Secured) -> None:
    with secured.client(CI_TOKEN) as ci, secured.client(TEST_TOKEN) as other:
        ci.get("/api/proxy/ops/audited")
        page = ci.get("/admin/audit", params={"action": "proxy.request"}, headers={"accept": "text/html"})
        assert page.status_code == 200 and "service:ci" in page.text and "proxy.ops" in page.text
        assert re.search(r"GET 200 · [\d,]+ bytes · [\d.]+ ms", page.text)  # a proxied call's figures in one cell
        refused = other.get("/admin/audit", headers={"accept": "text/html"})
        assert refused.status_code == 403 and "audit.read" in refused.text


def test_every_proxied_call_is_audited_with_its_figures(secured: Secured) -> None:
    with secured.client(CI_TOKEN) as ci:
        assert ci.get("/api/proxy/ops/figures", params={"q": 1}).status_code == 200
    row = secured.runtime.audit.read(SYSTEM, actor="service:ci", actions=["proxy.request"], limit=1)[0]
    assert row["target"] == "proxy.ops" and row["method"] == "GET" and row["status"] == 200
    assert row["bytes"] > 0 and row["duration_ms"] >= 0 and row["details"]["path"] == "/api/proxy/ops/figures"


def test_the_audit_cli_filters_by_user_action_and_time(secured: Secured, tmp_path: object) -> None:
    secured.runtime.audit.record("user:default/carol", "catalog.location.create", "url:https://x/catalog-info.yaml")
    config = secured.runtime.callboard.settings.loaded
    assert config is not None
    path = __import__("pathlib").Path(str(tmp_path)) / "app-config.yaml"
    path.write_text(json.dumps(config.data))
    result = CliRunner().invoke(
        cli, ["audit", "--config", str(path), "--user", "user:default/carol", "--since", "1h", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(row["actor"] == "user:default/carol" for row in rows)
    assert rows[0]["action"] == "catalog.location.create"
    table = CliRunner().invoke(cli, ["audit", "--config", str(path), "--action", "catalog.location.create"])
    assert table.exit_code == 0 and "carol" in table.stdout
    bad = CliRunner().invoke(cli, ["audit", "--config", str(path), "--since", "yesterday"])
    assert bad.exit_code == 2 and "Cannot read the time 'yesterday'" in bad.output


def test_running_templates_needs_scaffolder_task_create(secured: Secured) -> None:
    with secured.client(LIMITED_TOKEN) as limited:
        response = limited.post("/api/scaffolder/v2/tasks", json={"templateRef": "template:default/x", "values": {}})
        assert response.status_code == 403 and "(scaffolder.task.create)" in response.json()["error"]["message"]
        assert limited.get("/api/scaffolder/v2/tasks").status_code == 200  # reading tasks is still allowed


def test_search_returns_only_what_the_caller_may_read(secured: Secured) -> None:
    secured.runtime.indexer.run_once()
    with secured.client(LIMITED_TOKEN) as limited, secured.client(TEST_TOKEN) as full:
        everything = full.get("/api/search/query", params={"term": "artist"}).json()["results"]
        allowed = limited.get("/api/search/query", params={"term": "artist"}).json()
        assert {r["document"]["kind"] for r in everything} > {"Component"}
        assert {r["document"]["kind"] for r in allowed["results"]} == {"Component"}
        assert allowed["numberOfResults"] == len(allowed["results"])
        page = limited.get("/search", params={"query": "artist"}, headers={"accept": "text/html"}).text
        assert "artist-web" in page and "/catalog/default/api/artist-api" not in page
