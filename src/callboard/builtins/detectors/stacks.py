"""Stacks beyond the common manifests: Python's ``setup.py``, Ruby (gemspec, a Gemfile of a web app), PHP
(``composer.json``), .NET (``*.csproj``), Scala (``build.sbt``), Elixir (``mix.exs``), GitHub Actions
(``action.yml``), iOS and Android apps (an Xcode project, Gradle's Android application plugin), Nx projects and
dbt projects."""

from __future__ import annotations

import ast
import re

from callboard.builtins.detectors.common import entity_name, folder, json_object, toml, yaml_documents
from callboard.builtins.detectors.manifests import package_facts
from callboard.sdk import Fact, RepoView

#: Gems that make a Gemfile a web application (a Gemfile of only fastlane or CocoaPods is tooling, not a component).
RUBY_WEB = {"rails": "rails", "sinatra": "sinatra", "hanami": "hanami", "grape": "grape", "roda": "roda"}
_GEM = re.compile(r"""^\s*gem\s+['"]([^'"]+)['"]""", re.M)
#: Folders whose code is not what the repository ships.
_NOT_SHIPPED = {"test", "tests", "example", "examples", "docs", "sample", "samples"}
#: Dependencies that make a PHP, Scala or Elixir project a web service.
WEB_FRAMEWORKS = {
    "laravel/framework": "laravel",
    "symfony/framework-bundle": "symfony",
    "slim/slim": "slim",
    "com.typesafe.play": "play",
    '"akka-http"': "akka-http",
    "org.http4s": "http4s",
    ":phoenix": "phoenix",
    ":plug_cowboy": "plug",
}
_XML_FIELD = re.compile(r"<(PackageId|AssemblyName|Description|Version|OutputType|IsPackable)>([^<]+)</\1>")
_SBT_NAME = re.compile(r'^\s*name\s*:=\s*"([^"]+)"', re.M)
_MIX_APP = re.compile(r"app:\s*:(\w+)")
_MIX_VERSION = re.compile(r'version:\s*"([^"]+)"')
_GEMSPEC_FIELD = re.compile(r"""^\s*\w+\.(name|summary|description|version)\s*=\s*['"]([^'"]+)['"]""", re.M)


class Stacks:
    id = "stacks"

    def detect(self, repo: RepoView) -> list[Fact]:
        facts: list[Fact] = []
        for path in repo.glob("setup.py"):
            pyproject = toml(repo.text(f"{folder(path)}/pyproject.toml".lstrip("/")))
            if not (pyproject.get("project") or (pyproject.get("tool") or {}).get("poetry")):
                facts += self._setup_py(repo, path)  # else pyproject.toml describes the package
        gem_folders = set()
        for path in repo.glob("*.gemspec"):
            gem_folders.add(folder(path))
            facts += self._gemspec(repo, path)
        for path in repo.glob("Gemfile"):
            if folder(path) not in gem_folders:
                facts += self._gemfile(repo, path)
        for path in repo.glob("composer.json"):
            facts += self._composer(repo, path)
        for path in repo.glob("*.csproj"):
            facts += self._csproj(repo, path)
        for path in repo.glob("build.sbt"):
            facts += self._framework_build(repo, path, "scala", _SBT_NAME.search(repo.text(path) or ""))
        for path in repo.glob("mix.exs"):
            facts += self._framework_build(repo, path, "elixir", _MIX_APP.search(repo.text(path) or ""))
        for path in repo.glob("action.yml", "action.yaml"):
            facts += self._action(repo, path)
        if repo.exists("nx.json"):
            for path in repo.glob("project.json"):
                facts += self._nx_project(repo, path)
        projects = {path.split(".xcodeproj/", 1)[0] for path in repo.glob("*.xcodeproj/project.pbxproj")}
        for project in sorted(projects):
            unit = folder(project)
            name = project.rsplit("/", 1)[-1]
            facts += [
                Fact(unit, "unit", True, 0.85, f"{project}.xcodeproj", f"{name}.xcodeproj is an Xcode project"),
                Fact(unit, "metadata.tags", "swift", 0.7, f"{project}.xcodeproj", "an Xcode project"),
                Fact(unit, "spec.type", "mobile", 0.7, f"{project}.xcodeproj", "it builds an app with Xcode"),
            ]
        for path in repo.glob("build.gradle", "build.gradle.kts"):
            if "com.android.application" in (repo.text(path) or ""):
                rule = "the build applies the Android application plugin"
                facts.append(Fact(folder(path), "spec.type", "mobile", 0.9, path, rule))
        for path in repo.glob("manage.py"):
            facts += self._django_project(repo, path)
        for path in repo.glob("wsgi.py", "asgi.py"):
            if not any(part in ("test", "tests") for part in path.split("/")):
                rule = f"{path} is the entry point a web server runs"
                facts.append(Fact(_project_root(repo, path), "spec.type", "service", 0.6, path, rule))
        for path in repo.glob("dbt_project.yml"):
            document = next(iter(yaml_documents(repo.text(path))), None)
            name = str(document.get("name") or "") if isinstance(document, dict) else ""
            facts += package_facts(
                folder(path), path, name=name, description="", language="sql", dependencies=[], rule="dbt_project.yml"
            )
            facts.append(Fact(folder(path), "spec.type", "data-pipeline", 0.6, path, "a dbt project transforms data"))
        return facts

    def _composer(self, repo: RepoView, path: str) -> list[Fact]:
        data = json_object(repo.text(path))
        requires = [*(data.get("require") or {})]
        facts = package_facts(
            folder(path),
            path,
            name=str(data.get("name") or "").rsplit("/", 1)[-1],
            description=str(data.get("description") or ""),
            language="php",
            dependencies=[],
            version=str(data.get("version") or ""),
            rule="composer.json",
        )
        facts += _framework_facts(folder(path), path, requires)
        if data.get("type") == "library" and not any(r in WEB_FRAMEWORKS for r in requires):
            facts.append(Fact(folder(path), "spec.type", "library", 0.6, path, "composer.json says it is a library"))
        return facts

    def _csproj(self, repo: RepoView, path: str) -> list[Fact]:
        text = repo.text(path) or ""
        fields = dict(_XML_FIELD.findall(text))
        unit, stem = folder(path), path.rsplit("/", 1)[-1].removesuffix(".csproj")
        if re.search(r"\.Tests?$|Test(s)?$", stem):
            return []  # a test project is part of the component it tests
        facts = package_facts(
            unit,
            path,
            name=fields.get("PackageId") or fields.get("AssemblyName") or stem,
            description=fields.get("Description", ""),
            language="csharp",
            dependencies=[],
            version=fields.get("Version", ""),
            rule=path,
        )
        if 'Sdk="Microsoft.NET.Sdk.Web"' in text:
            facts.append(Fact(unit, "spec.type", "service", 0.7, path, "it builds with the ASP.NET Core web SDK"))
        elif fields.get("IsPackable", "").lower() == "true" or "PackageId" in fields:
            facts.append(Fact(unit, "spec.type", "library", 0.6, path, "it is packed as a NuGet package"))
        elif fields.get("OutputType", "").lower() != "exe":
            facts.append(Fact(unit, "spec.type", "library", 0.4, path, "it builds a class library"))
        return facts

    def _framework_build(self, repo: RepoView, path: str, language: str, name: re.Match[str] | None) -> list[Fact]:
        text = repo.text(path) or ""
        version = _MIX_VERSION.search(text) if language == "elixir" else None
        facts = package_facts(
            folder(path),
            path,
            name=name.group(1) if name else "",
            description="",
            language=language,
            dependencies=[],
            version=version.group(1) if version else "",
            rule=path,
        )
        return facts + _framework_facts(folder(path), path, [key for key in WEB_FRAMEWORKS if key in text])

    def _nx_project(self, repo: RepoView, path: str) -> list[Fact]:
        """An Nx project (``project.json`` in a workspace with ``nx.json``): an application is deployed, a library
        is used by others; a ``package.json`` beside it says more (its framework) and names it the same way."""
        project = json_object(repo.text(path))
        name, kind = project.get("name"), project.get("projectType")
        if not isinstance(name, str) or not folder(path):
            return []
        unit = folder(path)
        facts = [
            Fact(unit, "unit", True, 0.85, path, f"{path} is an Nx project"),
            Fact(unit, "metadata.name", entity_name(name), 0.85, path, f"{path} names it {name!r}"),
        ]
        if kind == "application":
            facts.append(Fact(unit, "spec.type", "service", 0.5, path, f"{path} is an Nx application"))
        elif kind == "library":
            facts.append(Fact(unit, "spec.type", "library", 0.6, path, f"{path} is an Nx library"))
        return facts

    def _action(self, repo: RepoView, path: str) -> list[Fact]:
        document = next(iter(yaml_documents(repo.text(path))), None)
        if not isinstance(document, dict) or "runs" not in document:
            return []
        unit = folder(path)
        facts = [
            Fact(unit, "unit", True, 0.85, path, f"{path} defines a GitHub Action"),
            Fact(unit, "spec.type", "library", 0.85, path, f"{path} is a GitHub Action other workflows use"),
            Fact(unit, "metadata.tags", "github-action", 0.8, path, f"{path} defines a GitHub Action"),
        ]
        if document.get("description"):
            rule = f"{path} describes it"
            facts.append(Fact(unit, "metadata.description", str(document["description"])[:400], 0.7, path, rule))
        return facts

    def _setup_py(self, repo: RepoView, path: str) -> list[Fact]:
        """The literal arguments of the ``setup(...)`` call (never run: the file is only parsed)."""
        try:
            tree = ast.parse(repo.text(path) or "")
        except SyntaxError:
            return []
        values: dict[str, object] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup":
                for keyword in node.keywords:
                    try:
                        values[str(keyword.arg)] = ast.literal_eval(keyword.value)
                    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                        continue
        requires = values.get("install_requires")
        return package_facts(
            folder(path),
            path,
            name=str(values.get("name") or ""),
            description=str(values.get("description") or ""),
            language="python",
            dependencies=_names(requires if isinstance(requires, list) else []),
            version=str(values.get("version") or ""),
            rule="setup.py",
        )

    def _django_project(self, repo: RepoView, path: str) -> list[Fact]:
        """A Django project's ``manage.py``: a component even without packaging metadata. Unpackaged, it cannot
        be installed by others, only run: a service. (Beside ``setup.py`` it is usually the test runner of a
        reusable app, and the package's own facts decide.)"""
        unit = folder(path)
        if "django" not in (repo.text(path) or "").lower() or set(path.split("/")[:-1]) & _NOT_SHIPPED:
            return []
        facts = [
            Fact(unit, "unit", True, 0.85, path, f"{path} runs a Django project"),
            Fact(unit, "metadata.tags", "python", 0.9, path, f"{path} runs a Django project"),
            Fact(unit, "metadata.tags", "django", 0.8, path, f"{path} runs a Django project"),
        ]
        if not any(repo.exists(f"{unit}/{name}".lstrip("/")) for name in ("setup.py", "pyproject.toml", "setup.cfg")):
            rule = f"{path} runs a Django project that is not packaged for others to install"
            facts.append(Fact(unit, "spec.type", "service", 0.6, path, rule))
        return facts

    def _gemspec(self, repo: RepoView, path: str) -> list[Fact]:
        text = repo.text(path) or ""
        fields = dict(_GEMSPEC_FIELD.findall(text))
        facts = package_facts(
            folder(path),
            path,
            name=fields.get("name", ""),
            description=fields.get("summary") or fields.get("description", ""),
            language="ruby",
            dependencies=[],
            version=fields.get("version", ""),
            rule=path,
        )
        facts.append(Fact(folder(path), "spec.type", "library", 0.7, path, f"{path} packages a gem to publish"))
        return facts

    def _gemfile(self, repo: RepoView, path: str) -> list[Fact]:
        gems = _GEM.findall(repo.text(path) or "")
        frameworks = [gem for gem in gems if gem in RUBY_WEB]
        unit = folder(path)
        if not frameworks and not repo.exists(f"{unit}/config.ru".lstrip("/")):
            return []
        facts = package_facts(unit, path, name="", description="", language="ruby", dependencies=[], rule=path)
        for gem in frameworks:
            facts.append(Fact(unit, "metadata.tags", RUBY_WEB[gem], 0.8, path, f"it depends on {gem}"))
            facts.append(Fact(unit, "spec.type", "service", 0.6, path, f"it depends on {gem}, a web framework"))
        if repo.exists(f"{unit}/config.ru".lstrip("/")):
            facts.append(Fact(unit, "spec.type", "service", 0.6, f"{unit}/config.ru".lstrip("/"), "a Rack app to run"))
        return facts


def _framework_facts(unit: str, path: str, found: list[str]) -> list[Fact]:
    facts: list[Fact] = []
    for key in found:
        if key in WEB_FRAMEWORKS:
            facts.append(Fact(unit, "metadata.tags", WEB_FRAMEWORKS[key], 0.8, path, f"it depends on {key}"))
            facts.append(Fact(unit, "spec.type", "service", 0.6, path, f"it depends on {key}, a web framework"))
    return facts


def _project_root(repo: RepoView, path: str) -> str:
    """The folder of the nearest manage.py or manifest above a Django/WSGI module (else the repository)."""
    parts = path.split("/")[:-1]
    while parts:
        base = "/".join(parts)
        if any(repo.exists(f"{base}/{name}") for name in ("manage.py", "setup.py", "pyproject.toml")):
            return base
        parts.pop()
    return ""


def _names(values: list[object]) -> list[str]:
    return [re.split(r"[\s<>=!~\[;@^]", str(value).strip(), maxsplit=1)[0].lower() for value in values if value]
