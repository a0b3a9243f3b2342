"""Stacks the inferred catalog recognises beyond the common manifests, and the evidence that code is released:
each repository is written to a folder and scanned as the discovery provider scans it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callboard.assembly import create_plugin_manager
from callboard.builtins.detectors.docs import first_paragraph
from callboard.discovery.inference import Options
from callboard.discovery.model import Repository
from callboard.discovery.scanner import MemoryState, Scanner


def scan(tmp_path: Path, files: dict[str, str]) -> dict[str, Any]:
    """The root component inferred from ``files``, with each field's rule."""
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    scanner = Scanner(create_plugin_manager().discovery_detectors(), Options())
    repository = Repository(name="acme/thing", root=tmp_path, revision="1", web_url="https://github.com/acme/thing")
    report = scanner.scan("test", [repository], MemoryState())
    components = [entity for entity in report.entities if entity["kind"] == "Component"]
    assert components, f"no component from {sorted(files)}"
    return components[0]


SETUP_PY = """
from setuptools import setup, find_packages
VERSION = "9.9"
setup(
    name="edx-opaque-keys",
    version="2.5.1",
    description="Opaque key support for Open edX",
    install_requires=["pymongo>=3", "stevedore"],
    packages=find_packages(),
)
"""
GEMSPEC = 'Gem::Specification.new do |s|\n  s.name = "acme-client"\n  s.summary = "Talks to Acme"\nend\n'
ACTION = "name: Setup Callboard\ndescription: Installs the portal CLI\nruns:\n  using: node20\n  main: dist/index.js\n"
CHANGELOG = "Changelog\n=========\n\n2.5.1 (2024-01-02)\n- fix\n\n2.5.0\n- add\n\n## 2.4.0\n- more\n"


def test_a_setup_py_package_with_a_changelog_is_a_released_library(tmp_path: Path) -> None:
    entity = scan(tmp_path, {"setup.py": SETUP_PY, "CHANGELOG.rst": CHANGELOG, "opaque_keys/__init__.py": ""})
    assert entity["metadata"]["name"] == "edx-opaque-keys"
    assert entity["metadata"]["description"] == "Opaque key support for Open edX"
    assert entity["spec"]["type"] == "library" and entity["spec"]["lifecycle"] == "production"
    assert "python" in entity["metadata"]["tags"]


def test_a_setup_py_is_parsed_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    entity = scan(tmp_path, {"setup.py": f"open({str(marker)!r}, 'w')\nsetup(name='safe')\n"})
    assert not marker.exists() and entity["metadata"]["name"] == "safe"


def test_ruby_a_gemspec_is_a_library_and_a_sinatra_gemfile_a_service(tmp_path: Path) -> None:
    gem = scan(
        tmp_path / "gem",
        {"acme.gemspec": GEMSPEC},
    )
    assert (gem["metadata"]["name"], gem["spec"]["type"]) == ("acme-client", "library")
    assert "ruby" in gem["metadata"]["tags"]
    app = scan(tmp_path / "app", {"Gemfile": "source 'https://rubygems.org'\ngem 'sinatra'\ngem 'mongoid'\n"})
    assert app["spec"]["type"] == "service" and "sinatra" in app["metadata"]["tags"]


def test_a_gemfile_of_build_tooling_is_not_a_component(tmp_path: Path) -> None:
    entity = scan(
        tmp_path,
        {
            "Gemfile": "gem 'fastlane'\ngem 'cocoapods'\n",
            "App.xcodeproj/project.pbxproj": "// !$*UTF8*$!\n",
            "fastlane/Fastfile": "lane :release do\n  upload_to_app_store\nend\n",
        },
    )
    assert entity["spec"]["type"] == "mobile" and entity["spec"]["lifecycle"] == "production"
    assert "ruby" not in entity["metadata"].get("tags", [])


def test_an_android_application_is_a_mobile_app(tmp_path: Path) -> None:
    entity = scan(
        tmp_path,
        {
            "settings.gradle": "include ':app'\n",
            "build.gradle": "plugins { id 'com.android.application' }\n",
        },
    )
    assert entity["spec"]["type"] == "mobile"


def test_a_django_project_with_a_wsgi_entry_point_is_a_service(tmp_path: Path) -> None:
    entity = scan(
        tmp_path,
        {
            "manage.py": "import django\n",
            "requirements.txt": "Django==4.2\n",
            "pyproject.toml": "[tool.black]\nline-length = 100\n",
            "setup.py": "setup(name='credentials')\n",
            "credentials/wsgi.py": "application = None\n",
            "credentials/tests/wsgi.py": "",
        },
    )
    assert entity["spec"]["type"] == "service"


def test_publishing_to_npm_makes_a_react_package_a_library(tmp_path: Path) -> None:
    workflow = "on: push\njobs:\n  release:\n    steps:\n      - run: npx semantic-release\n"
    entity = scan(
        tmp_path,
        {
            "package.json": '{"name": "@acme/header", "main": "dist/index.js", "dependencies": {"react": "18"}}',
            ".github/workflows/release.yml": workflow,
        },
    )
    assert entity["spec"]["type"] == "library" and entity["spec"]["lifecycle"] == "production"
    provenance = entity["metadata"]["annotations"]["callboard.dev/provenance"]
    assert "the pipeline publishes a package (semantic-release)" in provenance


def test_a_dbt_project_is_a_component(tmp_path: Path) -> None:
    entity = scan(tmp_path, {"dbt_project.yml": "name: aspects\nversion: '1.0'\n"})
    assert entity["metadata"]["name"] == "aspects" and entity["spec"]["type"] == "data-pipeline"


@pytest.mark.parametrize(
    ("readme", "paragraph"),
    [
        (
            "credentials\n===========\n\n|build| |cov|\n\nThe Open edX Credentials Service issues certificates.\n",
            "The Open edX Credentials Service issues certificates.",
        ),
        (
            "=====\nTitle\n=====\n\n.. image:: x.png\n\nPurpose\n*******\n\nRenders every learner-facing page.\n",
            "Renders every learner-facing page.",
        ),
        (
            '<p align="center">\n  <img width="400" src="logo.png">\n</p>\n\n'
            "Flexible, reusable and concise configuration.\n",
            "Flexible, reusable and concise configuration.",
        ),
        ("---\ntitle: 'x'\ntype: 'component'\n---\n\nA design system for people.\n", "A design system for people."),
    ],
)
def test_readme_paragraphs_in_rst_setext_html_and_front_matter(readme: str, paragraph: str) -> None:
    assert first_paragraph(readme)[1] == paragraph


def test_only_a_readme_that_says_the_code_is_deprecated_makes_it_so(tmp_path: Path) -> None:
    replaces = scan(
        tmp_path / "a",
        {"setup.py": "setup(name='a', version='1.2')\n", "README.md": "# A\n\nReplaces the deprecated B library.\n"},
    )
    assert replaces["spec"]["lifecycle"] != "deprecated"
    said = scan(
        tmp_path / "b",
        {"setup.py": "setup(name='b')\n", "README.md": "# B\n\nThis library is deprecated: use A instead.\n"},
    )
    assert said["spec"]["lifecycle"] == "deprecated"


def test_a_workflow_limited_to_one_folder_is_about_that_component_only(tmp_path: Path) -> None:
    workflow = (
        "on:\n  push:\n    paths: ['services/orders/**', 'services/orders/Dockerfile']\n"
        "jobs:\n  deploy:\n    environment: production\n    steps:\n      - run: kubectl apply -f k8s/\n"
    )
    files = {
        "services/orders/package.json": '{"name": "orders"}',
        "services/billing/package.json": '{"name": "billing"}',
        ".github/workflows/orders.yml": workflow,
    }
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    scanner = Scanner(create_plugin_manager().discovery_detectors(), Options())
    repository = Repository(name="acme/shop", root=tmp_path, revision="1", web_url="https://github.com/acme/shop")
    found = {e["metadata"]["name"]: e for e in scanner.scan("t", [repository], MemoryState()).entities}
    assert found["orders"]["spec"]["type"] == "service"
    assert found["orders"]["metadata"]["annotations"]["callboard.dev/ci"] == "github-actions"
    assert found["billing"]["spec"]["type"] == "library"  # the deploy is not about billing
    assert "callboard.dev/ci" not in found["billing"]["metadata"]["annotations"]


@pytest.mark.parametrize(
    ("files", "name", "kind", "tag"),
    [
        (
            {"composer.json": '{"name": "acme/billing", "require": {"php": ">=8.2", "laravel/framework": "^11"}}'},
            "billing",
            "service",
            "php",
        ),
        (
            {"composer.json": '{"name": "acme/money", "type": "library", "require": {"php": ">=8.1"}}'},
            "money",
            "library",
            "php",
        ),
        (
            {
                "Api/Api.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup></PropertyGroup></Project>',
                "Api.Tests/Api.Tests.csproj": '<Project Sdk="Microsoft.NET.Sdk"></Project>',
            },
            "api",
            "service",
            "csharp",
        ),
        (
            {
                "Acme.Money.csproj": '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><PackageId>Acme.Money</PackageId>'
                "<Description>Money for .NET</Description></PropertyGroup></Project>"
            },
            "acme-money",
            "library",
            "csharp",
        ),
        (
            {"build.sbt": 'name := "quotes"\nlibraryDependencies += "com.typesafe.play" %% "play" % "2.9"\n'},
            "quotes",
            "service",
            "scala",
        ),
        ({"build.sbt": 'name := "codecs"\nscalaVersion := "3.4.0"\n'}, "codecs", "library", "scala"),
        (
            {"mix.exs": 'def project, do: [app: :chat, version: "1.2.0", deps: [{:phoenix, "~> 1.7"}]]\n'},
            "chat",
            "service",
            "elixir",
        ),
        (
            {"action.yml": ACTION, "package.json": '{"name": "setup-callboard", "dependencies": {"express": "4"}}'},
            "setup-callboard",
            "library",
            "github-action",
        ),
    ],
    ids=[
        "php-laravel",
        "php-library",
        "dotnet-web",
        "dotnet-package",
        "scala-play",
        "scala-lib",
        "elixir-phoenix",
        "github-action",
    ],
)
def test_more_stacks(tmp_path: Path, files: dict[str, str], name: str, kind: str, tag: str) -> None:
    entity = scan(tmp_path, files)
    assert entity["metadata"]["name"] == name
    assert entity["spec"]["type"] == kind
    assert tag in entity["metadata"]["tags"]


def test_a_terraform_module_is_a_library_and_a_root_is_infrastructure(tmp_path: Path) -> None:
    module = scan(
        tmp_path / "module",
        {
            "main.tf": 'variable "name" {}\nresource "aws_s3_bucket" "this" { bucket = var.name }\n',
            "examples/basic/main.tf": 'provider "aws" {}\nmodule "x" { source = "../.." }\n',
        },
    )
    assert module["spec"]["type"] == "library"
    root = scan(
        tmp_path / "root",
        {"main.tf": 'terraform {\n  backend "s3" {}\n}\nprovider "aws" {}\nvariable "env" {}\n'},
    )
    assert root["spec"]["type"] == "infrastructure"


def test_a_chart_published_by_chart_releaser_is_a_released_library(tmp_path: Path) -> None:
    workflow = "on: push\njobs:\n  release:\n    steps:\n      - uses: helm/chart-releaser-action@v1\n"
    entity = scan(
        tmp_path,
        {
            "charts/monitoring/Chart.yaml": "apiVersion: v2\nname: monitoring\nversion: 1.2.0\n",
            "charts/monitoring/templates/deployment.yaml": "kind: Deployment\nmetadata:\n  name: agent\n",
            ".github/workflows/release.yml": workflow,
        },
    )
    assert entity["spec"]["type"] == "library" and entity["spec"]["lifecycle"] == "production"
