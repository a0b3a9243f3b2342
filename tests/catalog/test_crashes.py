"""Crashes and replicas: kill -9 mid-ingestion leaves a consistent database; replicas share work exactly once.

These run real ``callboard worker`` processes against a generated catalog and kill them with SIGKILL.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from benchmarks.generate import write_catalog_tree

from tests.support import make_runtime, postgres_database

KINDS = ["Component", "API", "System", "Group", "User", "Location"]
COUNT = 3000


def worker(config: Path, cwd: Path, name: str = "worker") -> subprocess.Popen[bytes]:
    with (cwd / f"{name}.log").open("wb") as log:  # the child keeps its own handle
        return subprocess.Popen(
            [sys.executable, "-m", "callboard", "worker", "--config", str(config)],
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def write_config(tmp_path: Path, database: dict[str, Any], root: Path) -> Path:
    config = {
        "backend": {"database": database},
        "catalog": {
            "rules": [{"allow": KINDS}],
            "locations": [{"type": "file", "target": str(root)}],
            "processing": {"batchSize": 100, "leaseSeconds": 2},
        },
    }
    path = tmp_path / "app-config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


CONSISTENCY_QUERIES = {
    "final entity without refresh state": "SELECT count(*) FROM final_entities f WHERE NOT EXISTS "
    "(SELECT 1 FROM refresh_state r WHERE r.entity_id = f.entity_id)",
    "index rows without final entity": "SELECT count(*) FROM search s WHERE NOT EXISTS "
    "(SELECT 1 FROM final_entities f WHERE f.entity_id = s.entity_id)",
    "final entity without index rows": "SELECT count(*) FROM final_entities f WHERE NOT EXISTS "
    "(SELECT 1 FROM search s WHERE s.entity_id = f.entity_id)",
    "relations of unknown entities": "SELECT count(*) FROM relations l WHERE NOT EXISTS "
    "(SELECT 1 FROM refresh_state r WHERE r.entity_id = l.originating_entity_id)",
}


def test_kill_9_mid_ingestion_on_sqlite_leaves_a_consistent_database(tmp_path: Path) -> None:
    root = write_catalog_tree(tmp_path / "catalog", COUNT, per_file=100)
    database = {"connection": str(tmp_path / "callboard.db")}
    config = write_config(tmp_path, database, root)
    process = worker(config, tmp_path)

    def finals() -> int:
        try:
            with sqlite3.connect(tmp_path / "callboard.db", timeout=5) as connection:
                return int(connection.execute("SELECT count(*) FROM final_entities").fetchone()[0])
        except sqlite3.OperationalError:
            return 0

    try:
        wait_for(lambda: finals() > 300, 120, "the worker to commit its first batches")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    seen_at_kill = finals()
    assert seen_at_kill < COUNT + 2, "the worker finished before it could be killed; use a larger catalog"

    with sqlite3.connect(tmp_path / "callboard.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for name, query in CONSISTENCY_QUERIES.items():
            assert connection.execute(query).fetchone()[0] == 0, name

    runtime = make_runtime(yaml.safe_load(config.read_text()), tmp_path)
    try:
        time.sleep(2.1)  # the dead worker's leases run out
        runtime.engine.run_until_idle(300)
        entities = runtime.catalog.list_entities(())
    finally:
        runtime.close()
    refs = [f"{e['kind']}:{e['metadata']['namespace']}/{e['metadata']['name']}".lower() for e in entities]
    assert len(refs) == len(set(refs)) == COUNT + 2


@pytest.mark.parametrize("kill", [False, True])
def test_replicas_on_postgresql_share_the_work_and_survive_a_killed_one(tmp_path: Path, kill: bool) -> None:
    root = write_catalog_tree(tmp_path / "catalog", COUNT, per_file=100)
    with postgres_database() as url:
        config = write_config(tmp_path, {"connection": url}, root)
        first, second = worker(config, tmp_path, "first"), worker(config, tmp_path, "second")
        owners: set[str] = set()

        def progress() -> int:
            try:
                return count_and_owners()
            except psycopg.errors.UndefinedTable:
                return 0  # the workers have not migrated the database yet

        def count_and_owners() -> int:
            with psycopg.connect(url) as connection:
                leased = (
                    "SELECT DISTINCT split_part(lease_owner, ':', 2) FROM refresh_state WHERE lease_owner IS NOT NULL"
                )
                owners.update(row[0] for row in connection.execute(leased))
                return int(connection.execute("SELECT count(*) FROM final_entities").fetchone()[0])

        try:
            wait_for(lambda: progress() > 300, 120, "both workers to start")
            if kill:
                os.kill(first.pid, signal.SIGKILL)
            wait_for(lambda: progress() == COUNT + 2, 300, "every entity to arrive")
            time.sleep(1)
            assert progress() == COUNT + 2
        finally:
            for process in (first, second):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(30)
        # A worker stopped with SIGTERM reports how many items it processed.
        processed = {
            name: int(match.group(1))
            for name in ("first", "second")
            if (match := re.search(r"stopping after (\d+) items", (tmp_path / f"{name}.log").read_text()))
        }
        if kill:
            assert processed.keys() == {"second"} and processed["second"] > 0
        else:
            assert processed["first"] > 0 and processed["second"] > 0, processed
            assert len(owners) >= 1
        with psycopg.connect(url) as connection:
            duplicates = connection.execute(
                "SELECT entity_ref FROM refresh_state GROUP BY entity_ref HAVING count(*) > 1"
            ).fetchall()
            assert duplicates == []
            for name, query in CONSISTENCY_QUERIES.items():
                assert connection.execute(query).fetchone()[0] == 0, name
