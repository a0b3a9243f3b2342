"""The example plugin installed the way an adopter installs one: built from its own package and
``pip install``-ed (not editable) beside an installed Callboard, then a restart. Uninstalling it and
restarting leaves the portal working and the plugin's table and rows where they were."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support import TEST_TOKEN, free_port

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugins" / "announcements"
AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install ./plugins/announcements`` into a folder of its own (the package, built to a wheel)."""
    target = tmp_path_factory.mktemp("site-packages")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        check=True,
        timeout=300,
    )
    assert (target / "callboard_announcements" / "templates" / "index.html").is_file()
    assert not list(target.glob("__editable__*")) and not list(target.glob("*.pth"))
    return target


def _config(tmp: Path) -> Path:
    config = {
        "app": {"baseUrl": "http://127.0.0.1"},
        "backend": {
            "database": {"client": "better-sqlite3", "connection": {"filename": str(tmp / "callboard.db")}},
            "auth": {
                "externalAccess": [{"type": "static", "options": {"token": TEST_TOKEN, "subject": "user:default/ops"}}]
            },
        },
        "catalog": {"locations": []},
        "permission": {"rules": [{"permission": "announcements.post.delete", "decision": "deny", "principals": ["*"]}]},
        "plugins": {"announcements": {"channels": [{"name": "ops", "owner": "group:default/ops"}]}},
        "dataDir": str(tmp / "data"),
    }
    path = tmp / "app-config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@contextmanager
def serving(config: Path, site: Path | None) -> Iterator[httpx.Client]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(site) if site else ""}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callboard",
            "serve",
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=AUTH, timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/.backstage/health/v1/liveness").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise AssertionError(f"callboard serve did not start:\n{output}")
                time.sleep(0.2)
            yield client
    finally:
        process.terminate()
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


def test_installed_plugin_serves_its_route_table_task_card_and_permission(installed: Path, tmp_path: Path) -> None:
    config = _config(tmp_path)
    with serving(config, installed) as portal:
        created = portal.post(
            "/api/announcements/posts", json={"team": "group:default/ops", "title": "Pager rota moves"}
        )
        assert created.status_code == 201, created.text
        assert portal.delete(f"/api/announcements/posts/{created.json()['id']}").status_code == 403  # its permission
        assert "Pager rota moves" in portal.get("/announcements/").text
        plugins_page = portal.get("/admin/plugins").text
        assert "callboard-announcements" in plugins_page and "announcements_posts" in plugins_page
        tasks = portal.get("/admin/tasks").text
        assert "announcements.expire" in tasks and "announcements.provider.channels" in tasks
    listing = subprocess.run(
        [sys.executable, "-m", "callboard", "plugins", "list", "--config", str(config)],
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    # The version is the repository's, from its git tag (hatch-vcs), as for every plugin released with Callboard.
    assert re.search(r"^announcements\tcallboard-announcements \d+\.\d+\S*\tplugin API 1\.1$", listing, re.M), listing
    assert "permissions: announcements.post.create, announcements.post.delete" in listing
    ran = subprocess.run(  # noqa: PLW1510 - the return code is asserted with the output
        [sys.executable, "-m", "callboard", "tasks", "run", "announcements.provider.channels", "--config", str(config)],
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert ran.returncode == 0 and "announcements.provider.channels: succeeded" in ran.stdout, ran.stderr
    with serving(config, installed) as portal:
        deadline = time.monotonic() + 30
        page = portal.get("/catalog/default/resource/announcements-ops")
        while page.status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            page = portal.get("/catalog/default/resource/announcements-ops")
        assert page.status_code == 200 and "Pager rota moves" in page.text  # the provider's entity, the card


def test_uninstalling_leaves_the_portal_working_and_the_table_untouched(installed: Path, tmp_path: Path) -> None:
    config = _config(tmp_path)
    with serving(config, installed) as portal:
        assert portal.post("/api/announcements/posts", json={"team": "ops", "title": "Kept"}).status_code == 201
    # The plugin is gone from the environment; its config and its permission rule are still there.
    with serving(config, None) as portal:
        assert portal.get("/api/announcements/posts").status_code == 404
        assert portal.get("/api/catalog/entities").status_code == 200
        assert "callboard-announcements" not in portal.get("/admin/plugins").text
    with sqlite3.connect(tmp_path / "callboard.db") as database:
        assert database.execute("SELECT title FROM announcements_posts").fetchall() == [("Kept",)]
        assert database.execute("SELECT version_num FROM alembic_version_announcements").fetchall() == [
            ("announcements_0001",)
        ]
