"""Evidence that code is shipped and in use, beyond its files: release tags from every kind of source (a local
clone, a git remote, GitHub's API); and repositories that are not packages at all (a Django project run with
``manage.py``, a Sphinx documentation site), which must still give a component."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from callboard.assembly import create_plugin_manager
from callboard.discovery.github import GithubOrganisation
from callboard.discovery.inference import Options
from callboard.discovery.scanner import MemoryState, Scanner
from callboard.discovery.sources import GitRemotes, LocalFolders
from callboard.sources.git import GitCache
from tests.discovery.fake_github import FakeGithub
from tests.scaffolder.git_server import GitServer
from tests.support import Server

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}
#: A Django project as Open edX's xqueue keeps it: no packaging metadata, a manage.py and a WSGI module.
DJANGO_PROJECT = {
    "manage.py": "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'xqueue.settings')\n"
    "from django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n",
    "requirements.txt": "Django==4.2\n",
    "xqueue/__init__.py": "",
    "xqueue/settings.py": "DEBUG = False\n",
    "xqueue/wsgi.py": "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n",
}


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, env=GIT_ENV, check=True, capture_output=True)


def clone_with(folder: Path, files: dict[str, str], tags: list[str]) -> Path:
    """A git repository holding ``files`` in one commit, tagged with each of ``tags``."""
    folder.mkdir(parents=True)
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "first")
    for tag in tags:
        git(folder, "tag", tag)
    return folder


def scanner() -> Scanner:
    return Scanner(create_plugin_manager().discovery_detectors(), Options(default_owner="group:unowned"))


def component(entities: list[dict[str, Any]]) -> dict[str, Any]:
    return next(entity for entity in entities if entity["kind"] == "Component")


def field(entity: dict[str, Any], name: str) -> dict[str, Any]:
    fields: dict[str, dict[str, Any]] = json.loads(entity["metadata"]["annotations"]["callboard.dev/provenance"])[
        "fields"
    ]
    return fields[name]


def test_a_deployed_service_with_release_tags_is_in_production(tmp_path: Path) -> None:
    tags = ["release-2013-09-01", "open-release/ironwood.2", "release/teak.1", "v2.0.0-rc1", "nightly"]
    clone_with(tmp_path / "repos" / "xqueue", DJANGO_PROJECT, tags)
    # A loose ref and a packed one: clones keep tags both ways.
    git(tmp_path / "repos" / "xqueue", "pack-refs", "--all")
    git(tmp_path / "repos" / "xqueue", "tag", "release/teak.2")
    entity = component(scanner().scan("local", LocalFolders(tmp_path / "repos").repositories(), MemoryState()).entities)
    assert entity["metadata"]["name"] == "xqueue"
    assert entity["spec"]["type"] == "service" and entity["spec"]["lifecycle"] == "production"
    lifecycle = field(entity, "spec.lifecycle")
    # The release candidate and the nightly are not releases; named releases have no version to name.
    assert lifecycle["rule"] == "it has 4 release tags"
    assert lifecycle["source"] == "git tags"


def test_without_release_tags_nothing_shows_it_runs_in_production(tmp_path: Path) -> None:
    clone_with(tmp_path / "repos" / "xqueue", DJANGO_PROJECT, ["v1.0", "test-deploy", "backup-2020"])
    entity = component(scanner().scan("local", LocalFolders(tmp_path / "repos").repositories(), MemoryState()).entities)
    assert entity["spec"]["lifecycle"] == "experimental"
    assert field(entity, "spec.lifecycle")["rule"] == "nothing shows it runs in production"


def test_a_remote_lists_its_tags_though_the_clone_is_shallow(tmp_path: Path) -> None:
    with GitServer(tmp_path / "server") as server:
        server.seed("acme", "xqueue", DJANGO_PROJECT)
        bare = tmp_path / "server" / "acme" / "xqueue.git"
        for tag in ("v1.0.0", "v1.1.0", "v1.2.0"):
            subprocess.run(["git", "-C", str(bare), "tag", tag, "main"], check=True)
        remotes = GitRemotes([f"{server.url}/acme/xqueue.git"], GitCache(tmp_path / "cache"))
        entity = component(scanner().scan("git", remotes.repositories(), MemoryState()).entities)
    assert entity["spec"]["lifecycle"] == "production"
    lifecycle = field(entity, "spec.lifecycle")
    assert lifecycle["rule"] == "it has 3 release tags (the highest version v1.2.0)"
    assert lifecycle["source"] == f"{server.url}/acme/xqueue/tags"


def test_github_tags_are_asked_for_only_when_a_repository_is_read(tmp_path: Path) -> None:
    clone_with(tmp_path / "org" / "xqueue", DJANGO_PROJECT, ["1.0", "1.1", "2.0"])
    fake = FakeGithub("acme", tmp_path / "org")
    state = MemoryState()
    with Server(fake.app) as server:
        source = GithubOrganisation("acme", api_base=server.url, cache_dir=tmp_path / "cache")
        entity = component(scanner().scan("gh", source.repositories(), state).entities)
        first = fake.counted
        again = GithubOrganisation("acme", api_base=server.url, cache_dir=tmp_path / "cache")
        scanner().scan("gh", again.repositories(), state)
    assert entity["spec"]["lifecycle"] == "production"
    assert field(entity, "spec.lifecycle")["source"] == "https://github.com/acme/xqueue/tags"
    assert first == 4  # the repository list, its tree, its tags, and the one blob read (manage.py)
    assert fake.counted == first  # unchanged: the list and the tree answer 304, the tags are not asked for


def test_a_django_project_beside_packaging_metadata_is_left_to_the_package(tmp_path: Path) -> None:
    """A reusable Django app keeps a manage.py to run its tests: it is still the library it packages."""
    files = {**DJANGO_PROJECT, "setup.py": "from setuptools import setup\nsetup(name='edx-toggles', version='5.2')\n"}
    del files["xqueue/wsgi.py"]
    clone_with(tmp_path / "repos" / "toggles", files, [])
    entity = component(scanner().scan("local", LocalFolders(tmp_path / "repos").repositories(), MemoryState()).entities)
    assert entity["metadata"]["name"] == "edx-toggles" and entity["spec"]["type"] == "library"
    assert {"python", "django"} <= set(entity["metadata"]["tags"])


def test_a_sphinx_documentation_repository_is_a_website(tmp_path: Path) -> None:
    files = {
        ".readthedocs.yaml": "version: 2\nsphinx:\n  configuration: source/conf.py\n",
        "source/conf.py": "project = 'Open edX'\nextensions = ['sphinx.ext.intersphinx']\nhtml_theme = 'furo'\n",
        "source/index.rst": "Open edX\n========\n\nThe root documentation site for the platform and its community.\n",
        "README.rst": "docs.openedx.org\n################\n\nThe root documentation site for the Open edX project.\n",
        "requirements/base.in": "sphinx\n",
    }
    clone_with(tmp_path / "repos" / "docs.openedx.org", files, [])
    entity = component(scanner().scan("local", LocalFolders(tmp_path / "repos").repositories(), MemoryState()).entities)
    assert entity["spec"]["type"] == "website" and entity["spec"]["lifecycle"] == "production"
    assert field(entity, "spec.type")["rule"] == "the repository holds only docs: it publishes a documentation site"
    # Sphinx is not MkDocs: TechDocs could not build it, so no techdocs-ref is claimed.
    assert "backstage.io/techdocs-ref" not in entity["metadata"]["annotations"]


def test_a_settings_file_named_conf_py_is_not_a_documentation_site(tmp_path: Path) -> None:
    clone_with(tmp_path / "repos" / "gunicorn-settings", {"conf.py": "bind = '0.0.0.0:8000'\nworkers = 4\n"}, [])
    report = scanner().scan("local", LocalFolders(tmp_path / "repos").repositories(), MemoryState())
    assert report.entities == []


def test_goreleaser_ships_a_tool_and_publishing_pages_is_not_a_deployment(tmp_path: Path) -> None:
    release = (
        "on:\n  push:\n    tags: ['v*']\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: goreleaser/goreleaser-action@v6\n        with:\n          args: release --clean\n"
    )
    docs = (
        "on: push\njobs:\n  deploy:\n    environment:\n      name: github-pages\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/deploy-pages@v4\n"
    )
    files = {
        "go.mod": "module github.com/grafana/cog\n\ngo 1.22\n",
        "cmd/cli/main.go": "package main\n\nfunc main() {}\n",
        ".github/workflows/release.yaml": release,
        ".github/workflows/docs.yaml": docs,
    }
    clone_with(tmp_path / "repos" / "cog", files, [])
    entity = component(scanner().scan("local", LocalFolders(tmp_path / "repos").repositories(), MemoryState()).entities)
    assert entity["spec"]["type"] == "tool"
    assert field(entity, "spec.type")["rule"] == "the pipeline releases executables (goreleaser)"
    assert "callboard.dev/environments" not in entity["metadata"]["annotations"]
