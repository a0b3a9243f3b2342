"""The ingestion engine as users meet it: registering, refreshing, breaking and fixing files, on both databases."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from callboard.app import Runtime
from callboard.catalog import query_store
from callboard.catalog.filters import parse_filters
from tests.catalog.fixtures import ALL_KINDS, COMPONENTS, config, write_catalog
from tests.support import AUTH, FileServer, Server, client, database_for, make_runtime, write


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    with database_for(str(request.param), tmp_path) as settings:
        yield settings


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_catalog(tmp_path / "repo")
    return tmp_path / "repo"


def runtime_for(tmp_path: Path, database: dict[str, Any], locations: list[dict[str, str]], **catalog: Any) -> Runtime:
    cfg = config(tmp_path, database, **catalog)
    cfg["catalog"]["locations"] = locations  # type: ignore[index]
    runtime = make_runtime(cfg, tmp_path)
    runtime.catalog.sync_locations()
    runtime.engine.run_until_idle(60)
    return runtime


def entity(runtime: Runtime, ref: str) -> dict[str, Any]:
    kind, rest = ref.split(":")
    namespace, name = rest.split("/")
    return runtime.catalog.entity_by_name(kind, namespace, name)


def refs(runtime: Runtime) -> set[str]:
    return {
        f"{e['kind']}:{e['metadata']['namespace']}/{e['metadata']['name']}".lower()
        for e in runtime.catalog.list_entities(())
    }


def test_failed_refresh_keeps_the_last_good_entity_and_shows_the_error(
    tmp_path: Path, database: dict[str, Any], repo: Path
) -> None:
    runtime = runtime_for(tmp_path, database, [{"type": "file", "target": str(repo / "catalog-info.yaml")}])
    try:
        good = entity(runtime, "component:default/artist-web")
        broken = COMPONENTS.replace("  lifecycle: production\n  owner: team-a\n", "  owner: team-a\n", 1)
        write(repo / "components" / "all.yaml", broken)
        runtime.catalog.refresh("component:default/artist-web")
        runtime.engine.run_until_idle(60)
        kept = entity(runtime, "component:default/artist-web")
        assert kept["spec"] == good["spec"]
        (item,) = kept["status"]["items"]
        assert item["type"] == "backstage.io/catalog-processing" and item["level"] == "error"
        assert "must have required property 'lifecycle'" in item["message"]
        write(repo / "components" / "all.yaml", COMPONENTS.replace("great artists", "the greatest artists"))
        runtime.catalog.refresh("component:default/artist-web")
        runtime.engine.run_until_idle(60)
        fixed = entity(runtime, "component:default/artist-web")
        assert "status" not in fixed
        assert fixed["metadata"]["description"] == "The place to be for the greatest artists"
        assert fixed["metadata"]["uid"] == good["metadata"]["uid"]
    finally:
        runtime.close()


def test_broken_yaml_keeps_every_entity_of_the_file(tmp_path: Path, database: dict[str, Any], repo: Path) -> None:
    runtime = runtime_for(tmp_path, database, [{"type": "file", "target": str(repo / "catalog-info.yaml")}])
    try:
        before = refs(runtime)
        write(repo / "components" / "all.yaml", COMPONENTS + "---\nkind: [broken\n")
        runtime.catalog.refresh("location:default/example-root")
        runtime.engine.run_until_idle(60)
        assert refs(runtime) == before
        root = entity(runtime, "location:default/example-root")
        assert any("YAML error" in item["message"] for item in root["status"]["items"])
    finally:
        runtime.close()


def test_unchanged_input_is_not_rewritten(tmp_path: Path, database: dict[str, Any], repo: Path) -> None:
    runtime = runtime_for(tmp_path, database, [{"type": "file", "target": str(repo / "catalog-info.yaml")}])
    try:
        before = {e["metadata"]["uid"]: e["metadata"]["etag"] for e in runtime.catalog.list_entities(())}
        written_before = _final_update_times(runtime)
        # The comparison means something only over a processed catalog holding the entity refreshed.
        assert "component:default/artist-web" in refs(runtime) and len(before) >= 3
        assert set(written_before) == refs(runtime)
        runtime.catalog.refresh("component:default/artist-web")
        processed = runtime.engine.run_until_idle(60)
        assert processed >= 2  # the component and the location it came from were read again
        after = {e["metadata"]["uid"]: e["metadata"]["etag"] for e in runtime.catalog.list_entities(())}
        assert after == before
        assert _final_update_times(runtime) == written_before
    finally:
        runtime.close()


def _final_update_times(runtime: Runtime) -> dict[str, float]:
    from sqlalchemy import select

    from callboard.storage.tables import final_entities

    with runtime.database.connect() as connection:
        rows = connection.execute(select(final_entities.c.entity_ref, final_entities.c.last_updated_at))
        return {row[0]: row[1] for row in rows}


@pytest.mark.parametrize("strategy", ["keep", "delete"])
def test_orphans_follow_the_orphan_strategy(
    tmp_path: Path, database: dict[str, Any], repo: Path, strategy: str
) -> None:
    location = [{"type": "file", "target": str(repo / "catalog-info.yaml")}]
    runtime = runtime_for(tmp_path, database, location, orphanStrategy=strategy)
    try:
        without_db = COMPONENTS[: COMPONENTS.index("---\napiVersion: backstage.io/v1alpha1\nkind: Resource")]
        write(repo / "components" / "all.yaml", without_db)
        runtime.catalog.refresh("location:default/example-root")
        runtime.engine.run_until_idle(60)
        if strategy == "keep":
            orphan = entity(runtime, "resource:default/artists-db")
            assert orphan["metadata"]["annotations"]["backstage.io/orphan"] == "true"
        else:
            assert "resource:default/artists-db" not in refs(runtime)
        assert "component:default/artist-lookup" in refs(runtime)
    finally:
        runtime.close()


def test_conflicting_locations_first_owner_wins_loser_sees_an_error(
    tmp_path: Path, database: dict[str, Any], repo: Path
) -> None:
    other = write(
        tmp_path / "other" / "catalog-info.yaml",
        COMPONENTS.split("---\n")[0].replace("The place to be for great artists", "An impostor"),
    )
    first = [{"type": "file", "target": str(repo / "catalog-info.yaml")}]
    runtime_for(tmp_path, database, first).close()
    # The second location arrives later, in a new configuration, on the same database.
    runtime = runtime_for(tmp_path, database, [*first, {"type": "file", "target": str(other)}])
    try:
        web = entity(runtime, "component:default/artist-web")
        assert web["metadata"]["description"] == "The place to be for great artists"
        generated = [e for e in runtime.catalog.list_entities(parse_filters(["kind=location"])) if "status" in e]
        messages = [item["message"] for e in generated for item in e["status"]["items"]]
        assert any("ConflictError: Detected conflicting entityRef component:default/artist-web" in m for m in messages)
    finally:
        runtime.close()


def test_catalog_rules_refuse_kinds_with_a_visible_error(tmp_path: Path, database: dict[str, Any], repo: Path) -> None:
    cfg = config(repo / "catalog-info.yaml", database)
    del cfg["catalog"]["rules"]  # type: ignore[attr-defined]
    runtime = make_runtime(cfg, tmp_path)
    try:
        runtime.catalog.sync_locations()
        runtime.engine.run_until_idle(60)
        # Backstage's default rules allow Component, API and Location. Each Group, User, System, Domain and
        # Resource in a target is refused with an error on the Location; the allowed kinds are ingested.
        assert {e["kind"] for e in runtime.catalog.list_entities(())} == {"Location", "Component", "API"}
        with runtime.database.connect() as connection:
            state = query_store.processing_state(connection, "location:default/example-root")
        assert state is not None and state["processed"]
        refused = [
            e["message"] for e in state["errors"] if "is not of an allowed kind for that location" in e["message"]
        ]
        assert {message.split()[1] for message in refused} >= {"group:default/team-a", "user:default/jane"}
    finally:
        runtime.close()


def test_placeholders_cannot_read_outside_the_registered_folder(
    tmp_path: Path, database: dict[str, Any], repo: Path
) -> None:
    write(tmp_path / "secret.txt", "s3cret")
    write(repo / "components" / "all.yaml", COMPONENTS.replace("./artist-api.yaml", "../../secret.txt"))
    runtime = runtime_for(tmp_path, database, [{"type": "file", "target": str(repo / "catalog-info.yaml")}])
    try:
        assert "api:default/artist-api" not in refs(runtime)
        assert "component:default/artist-web" in refs(runtime)
        assert "s3cret" not in str(runtime.catalog.list_entities(()))
    finally:
        runtime.close()


def test_url_locations_registered_through_the_api(tmp_path: Path, database: dict[str, Any], repo: Path) -> None:
    runtime = runtime_for(tmp_path, database, [], **{"rules": [{"allow": ALL_KINDS}]})
    runtime.engine.settings = runtime.engine.settings.__class__(interval_seconds=(100, 150))
    try:
        with FileServer(repo) as files, Server(runtime.web) as server, client(server) as api:
            target = f"{files.url}/catalog-info.yaml"
            refused = api.post("/locations", params={"dryRun": "true"}, json={"type": "url", "target": target})
            assert refused.status_code == 400
            assert "backend.reading.allow" in refused.json()["error"]["message"]
    finally:
        runtime.close()

    cfg = config(tmp_path, database)
    cfg["catalog"]["locations"] = []  # type: ignore[index]
    cfg["backend"]["reading"] = {"allow": [{"host": "127.0.0.1:*"}, {"host": "127.0.0.1"}]}  # type: ignore[index]
    runtime = make_runtime(cfg, tmp_path)
    try:
        with FileServer(repo) as files, Server(runtime.web) as server, client(server) as api:
            target = f"{files.url}/catalog-info.yaml"
            dry = api.post("/locations", params={"dryRun": "true"}, json={"type": "url", "target": target})
            assert dry.status_code == 201, dry.text
            assert dry.json()["exists"] is False
            assert {"example-root", "artist-web", "jane"} <= {e["metadata"]["name"] for e in dry.json()["entities"]}
            assert api.get("/entities", params={"filter": "kind=component"}).json() == []

            created = api.post("/locations", json={"type": "url", "target": target})
            assert created.status_code == 201
            location = created.json()["location"]
            assert api.post("/locations", json={"type": "url", "target": target}).status_code == 409
            runtime.engine.run_until_idle(60)
            web = api.get("/entities/by-name/component/default/artist-web").json()
            annotations = web["metadata"]["annotations"]
            assert annotations["backstage.io/view-url"] == f"{files.url}/components/all.yaml"
            assert annotations["backstage.io/source-location"] == f"url:{files.url}/components/"
            assert (
                api.get("/entities/by-name/api/default/artist-api").json()["spec"]["definition"].startswith("openapi")
            )

            assert api.delete(f"/locations/{location['id']}").status_code == 204
            assert api.get("/entities").json() == []
            assert api.get(f"/locations/{location['id']}").status_code == 404
    finally:
        runtime.close()


def test_delete_by_uid_always_204_and_live_entities_come_back(
    tmp_path: Path, database: dict[str, Any], repo: Path
) -> None:
    runtime = runtime_for(tmp_path, database, [{"type": "file", "target": str(repo / "catalog-info.yaml")}])
    try:
        with Server(runtime.web) as server, client(server) as api:
            uid = api.get("/entities/by-name/component/default/artist-web").json()["metadata"]["uid"]
            assert api.delete(f"/entities/by-uid/{uid}").status_code == 204
            assert api.get("/entities/by-name/component/default/artist-web").status_code == 404
            assert api.delete(f"/entities/by-uid/{uid}").status_code == 204
            assert api.post("/refresh", json={"entityRef": "location:default/example-root"}).status_code == 200
            runtime.engine.run_until_idle(60)
            assert api.get("/entities/by-name/component/default/artist-web").status_code == 200
            missing = api.post("/refresh", json={"entityRef": "component:default/nope"})
            assert missing.status_code == 404
    finally:
        runtime.close()


def test_http_errors_from_the_api_are_backstage_shaped(tmp_path: Path, database: dict[str, Any]) -> None:
    runtime = runtime_for(tmp_path, database, [])
    try:
        with Server(runtime.web) as server, httpx.Client(base_url=server.url, headers=AUTH) as http:
            response = http.post(
                "/api/catalog/refresh", content=b"not json", headers={"content-type": "application/json"}
            )
            assert response.status_code == 400
            assert response.json()["error"]["name"] == "InputError"
            assert http.get("/api/catalog/no-such-endpoint").json()["response"]["statusCode"] == 404
    finally:
        runtime.close()


def test_an_idle_portal_refreshes_planner_statistics_only_after_changes(tmp_path: Path, repo: Path) -> None:
    """PostgreSQL: the engine VACUUMs and ANALYZEs the filter index after large changes, once, not at every
    idle moment (it once did, every second, for as long as a portal of 10,000 entities or more ran)."""

    def vacuums(runtime: Runtime) -> int:
        with runtime.database.connect() as connection:
            sql = "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'search'"
            return int(connection.exec_driver_sql(sql).scalar_one())

    def wait_for(condition: Any) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            assert time.monotonic() < deadline, "the engine did not get there within 30 s"
            time.sleep(0.05)

    with database_for("postgresql", tmp_path) as settings:
        runtime = runtime_for(tmp_path, settings, [{"type": "file", "target": str(repo / "catalog-info.yaml")}])
        try:
            count = len(refs(runtime))
            # Small enough that this catalog's ingestion counts as a large change, and changing one file does not.
            engine = runtime.engine
            engine.settings = dataclasses.replace(engine.settings, statistics_after=count, poll_seconds=0.02)
            assert engine.refresh_statistics() and vacuums(runtime) == 1  # the ingestion's changes
            engine.start()
            time.sleep(1.0)  # some 50 idle moments
            assert vacuums(runtime) == 1
            write(repo / "components" / "all.yaml", COMPONENTS.replace("great artists", "the best artists"))
            runtime.catalog.refresh("component:default/artist-web")
            wait_for(lambda: "best" in entity(runtime, "component:default/artist-web")["metadata"]["description"])
            time.sleep(0.5)
            assert vacuums(runtime) == 1  # one entity changed: below the threshold
            engine.settings = dataclasses.replace(engine.settings, statistics_after=1)
            write(repo / "components" / "all.yaml", COMPONENTS.replace("great artists", "all artists"))
            runtime.catalog.refresh("component:default/artist-web")
            wait_for(
                lambda: "all artists" in entity(runtime, "component:default/artist-web")["metadata"]["description"]
            )
            wait_for(lambda: vacuums(runtime) >= 2)  # each write of a change, refreshed when next idle
            time.sleep(0.5)
            settled = vacuums(runtime)
            time.sleep(1.0)  # and nothing more while nothing changes
            assert vacuums(runtime) == settled
        finally:
            runtime.close()


def test_stopping_during_a_backlog_ends_between_batches_and_leaves_the_rest_due(
    tmp_path: Path, database: dict[str, Any]
) -> None:
    """A portal stopped in the middle of a long ingestion stops after the batch in hand (it used to go on
    until the whole backlog was processed, or until it was killed), holds no leases, and the next start
    goes on where it stopped."""
    count = 600
    documents = [
        f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: service-{number:04d}\n"
        f"spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
        for number in range(count)
    ]
    write(tmp_path / "repo" / "catalog-info.yaml", "---\n".join(documents))
    cfg = config(tmp_path, database)
    cfg["catalog"]["locations"] = [{"type": "file", "target": str(tmp_path / "repo" / "catalog-info.yaml")}]  # type: ignore[index]
    runtime = make_runtime(cfg, tmp_path)
    try:
        runtime.catalog.sync_locations()
        engine = runtime.engine
        engine.settings = dataclasses.replace(engine.settings, batch_size=20, poll_seconds=0.02)
        engine.start()
        deadline = time.monotonic() + 60
        while engine.processed_total < 40:
            assert time.monotonic() < deadline, "the engine processed nothing within 60 s"
            time.sleep(0.01)
        assert engine.stop(timeout=30)
        stopped_at = engine.processed_total
        assert stopped_at < count  # it stopped with most of the backlog still due
        with runtime.database.connect() as connection:
            leased = connection.exec_driver_sql("SELECT count(*) FROM refresh_state WHERE lease_owner IS NOT NULL")
            assert leased.scalar_one() == 0
        engine.settings = dataclasses.replace(engine.settings, batch_size=1000)
        assert stopped_at + engine.run_until_idle(60) >= count + 1  # the rest, and the location itself
        assert len(refs(runtime)) == count + 1
    finally:
        runtime.close()


def test_a_provider_giving_its_entities_again_updates_the_changed_ones_only(
    tmp_path: Path, database: dict[str, Any]
) -> None:
    """Backstage's full mutation: what a provider gives again replaces what it gave; changed entities are
    processed again, unchanged ones are not rewritten, and one it no longer gives is removed."""

    def user(name: str, description: str) -> dict[str, Any]:
        metadata = {"name": name, "description": description}
        return {"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": metadata, "spec": {"memberOf": []}}

    runtime = make_runtime({"backend": {"database": database}}, tmp_path)
    try:
        runtime.catalog.apply_provider("ldap:test", [user(f"user-{n}", "first") for n in range(5)])
        runtime.engine.run_until_idle(60)
        written = _final_update_times(runtime)
        given = [user("user-0", "second"), user("user-1", "second")] + [user(f"user-{n}", "first") for n in (2, 3)]
        runtime.catalog.apply_provider("ldap:test", given)
        runtime.engine.run_until_idle(60)
        assert refs(runtime) == {f"user:default/user-{n}" for n in range(4)}
        descriptions = {n: entity(runtime, f"user:default/user-{n}")["metadata"]["description"] for n in range(4)}
        assert descriptions == {0: "second", 1: "second", 2: "first", 3: "first"}
        # The filter index holds the new values only: the old ones were deleted, not left to match.
        found = runtime.catalog.list_entities(parse_filters(["kind=user,metadata.description=first"]))
        assert sorted(e["metadata"]["name"] for e in found) == ["user-2", "user-3"]
        now = _final_update_times(runtime)
        assert [ref for ref in sorted(now) if now[ref] != written[ref]] == [
            "user:default/user-0",
            "user:default/user-1",
        ]
    finally:
        runtime.close()
