"""Package manifests and container files: what a component is called, its language and framework, whether
it is a deployed service, a published library or a website, and which databases and queues it uses."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import Any

from callboard.builtins.detectors.common import entity_name, folder, json_object, toml, yaml_documents
from callboard.sdk import Fact, RepoView

#: Dependency name fragments → (framework tag, what it says about the component type).
FRAMEWORKS = {
    "fastapi": ("fastapi", "service"),
    "flask": ("flask", "service"),
    "django": ("django", "service"),
    "uvicorn": ("", "service"),
    "gunicorn": ("", "service"),
    "express": ("express", "service"),
    "fastify": ("fastify", "service"),
    "@nestjs/core": ("nestjs", "service"),
    "koa": ("koa", "service"),
    "react": ("react", "website"),
    "vue": ("vue", "website"),
    "svelte": ("svelte", "website"),
    "next": ("nextjs", "website"),
    "@angular/core": ("angular", "website"),
    "spring-boot-starter-web": ("spring-boot", "service"),
    "spring-boot-starter-webflux": ("spring-boot", "service"),
    "github.com/gin-gonic/gin": ("gin", "service"),
    "github.com/labstack/echo": ("echo", "service"),
    "actix-web": ("actix", "service"),
    "axum": ("axum", "service"),
    "rocket": ("rocket", "service"),
}

#: Dependency name fragments → the kind of resource the component needs.
RESOURCES = {
    "psycopg": "postgres",
    "asyncpg": "postgres",
    "pg": "postgres",
    "github.com/lib/pq": "postgres",
    "github.com/jackc/pgx": "postgres",
    "postgresql": "postgres",
    "mysql": "mysql",
    "mysql2": "mysql",
    "pymongo": "mongodb",
    "mongodb": "mongodb",
    "mongoose": "mongodb",
    "redis": "redis",
    "ioredis": "redis",
    "github.com/redis/go-redis": "redis",
    "kafkajs": "kafka",
    "confluent-kafka": "kafka",
    "kafka-python": "kafka",
    "spring-kafka": "kafka",
    "github.com/segmentio/kafka-go": "kafka",
    "pika": "rabbitmq",
    "amqplib": "rabbitmq",
}
IMAGES = {
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mongo": "mongodb",
    "redis": "redis",
    "rabbitmq": "rabbitmq",
    "kafka": "kafka",
    "confluentinc/cp-kafka": "kafka",
    "bitnami/kafka": "kafka",
}


def _dependency_names(values: Iterable[str]) -> list[str]:
    return [re.split(r"[\s<>=!~\[;@^]", value.strip(), maxsplit=1)[0].lower() for value in values if value.strip()]


class Manifests:
    id = "manifests"

    def detect(self, repo: RepoView) -> list[Fact]:
        facts: list[Fact] = []
        for path in repo.glob(
            "pyproject.toml",
            "setup.cfg",
            "package.json",
            "go.mod",
            "pom.xml",
            "Cargo.toml",
            "build.gradle",
            "build.gradle.kts",
        ):
            readers = {
                "pyproject.toml": self._pyproject,
                "setup.cfg": self._setup,
                "package.json": self._package_json,
                "go.mod": self._go,
                "pom.xml": self._pom,
                "Cargo.toml": self._cargo,
                "build.gradle": self._gradle,
                "build.gradle.kts": self._gradle,
            }
            facts += readers[path.rsplit("/", 1)[-1]](repo, path)
        for path in repo.glob("Dockerfile", "Containerfile"):
            facts.append(Fact(folder(path), "spec.type", "service", 0.6, path, "a Dockerfile builds an image to run"))
        for path in repo.glob("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"):
            facts += self._compose(repo, path)
        return facts

    def _pyproject(self, repo: RepoView, path: str) -> list[Fact]:
        data = toml(repo.text(path))
        project = data.get("project") or (data.get("tool") or {}).get("poetry") or {}
        unit = folder(path)
        if not project:
            if (data.get("tool") or {}).get("uv", {}).get("workspace"):
                return [Fact(unit, "workspace", True, 0.9, path, "pyproject.toml declares a uv workspace")]
            return []
        dependencies = [str(d) for d in project.get("dependencies") or []]
        if isinstance(project.get("dependencies"), dict):
            dependencies = [str(d) for d in project["dependencies"]]
        facts = package_facts(
            unit,
            path,
            name=str(project.get("name") or ""),
            description=str(project.get("description") or ""),
            language="python",
            dependencies=_dependency_names(dependencies),
            version=str(project.get("version") or ""),
            rule="pyproject.toml",
        )
        if project.get("scripts") and not any(f.field == "spec.type" for f in facts):
            facts.append(Fact(unit, "spec.type", "library", 0.3, path, "it installs command-line scripts"))
        return facts

    def _setup(self, repo: RepoView, path: str) -> list[Fact]:
        text = repo.text(path) or ""
        name = re.search(r"^name\s*=\s*(\S+)", text, re.M)
        description = re.search(r"^description\s*=\s*(.+)$", text, re.M)
        requires = re.search(r"^install_requires\s*=\s*\n((?:[ \t]+\S.*\n?)+)", text, re.M)
        return package_facts(
            folder(path),
            path,
            name=name.group(1) if name else "",
            description=description.group(1).strip() if description else "",
            language="python",
            dependencies=_dependency_names(requires.group(1).splitlines() if requires else []),
            rule="setup.cfg",
        )

    def _package_json(self, repo: RepoView, path: str) -> list[Fact]:
        data = json_object(repo.text(path))
        unit = folder(path)
        if data.get("workspaces"):
            return [Fact(unit, "workspace", True, 0.9, path, "package.json declares workspaces")]
        dependencies = [*(data.get("dependencies") or {}), *(data.get("devDependencies") or {})]
        language = (
            "typescript"
            if "typescript" in dependencies or repo.exists(f"{unit}/tsconfig.json".lstrip("/"))
            else "javascript"
        )
        facts = package_facts(
            unit,
            path,
            name=str(data.get("name") or ""),
            description=str(data.get("description") or ""),
            language=language,
            dependencies=[d.lower() for d in data.get("dependencies") or {}],
            version=str(data.get("version") or ""),
            rule="package.json",
        )
        if data.get("deprecated"):
            facts.append(Fact(unit, "spec.lifecycle", "deprecated", 0.8, path, "package.json marks it deprecated"))
        if data.get("private") is False or data.get("publishConfig"):
            facts.append(Fact(unit, "spec.type", "library", 0.5, path, "package.json is set up to be published"))
        return facts

    def _go(self, repo: RepoView, path: str) -> list[Fact]:
        text = repo.text(path) or ""
        module = re.search(r"^module\s+(\S+)", text, re.M)
        unit = folder(path)
        requires = re.findall(r"^\s*(?:require\s+)?([a-z0-9.\-]+\.[a-z]+/\S+)\s+v", text, re.M)
        facts = package_facts(
            unit,
            path,
            name=module.group(1) if module else "",
            description="",
            language="go",
            dependencies=_dependency_names(requires),
            rule="go.mod",
        )
        prefix = f"{unit}/" if unit else ""
        mains = [
            p
            for p in repo.files
            if p.startswith(prefix) and p.endswith(".go") and re.search(r"^package main\b", repo.text(p) or "", re.M)
        ]
        if mains:
            facts.append(Fact(unit, "spec.type", "service", 0.4, mains[0], f"{mains[0]} is a main package"))
        else:
            facts.append(Fact(unit, "spec.type", "library", 0.6, path, "the module has no main package"))
        return facts

    def _pom(self, repo: RepoView, path: str) -> list[Fact]:
        text = repo.text(path) or ""
        unit = folder(path)
        body = re.sub(r"<parent>.*?</parent>|<dependencies>.*?</dependencies>|<build>.*?</build>", "", text, flags=re.S)
        if "<modules>" in body:
            return [Fact(unit, "workspace", True, 0.9, path, "pom.xml lists modules")]
        artifact = re.search(r"<artifactId>([^<]+)</artifactId>", body)
        description = re.search(r"<description>([^<]+)</description>", body)
        version = re.search(r"<version>([^<]+)</version>", body)
        dependencies = re.findall(r"<artifactId>([^<]+)</artifactId>", text)
        facts = package_facts(
            unit,
            path,
            name=artifact.group(1) if artifact else "",
            description=description.group(1).strip() if description else "",
            language="java",
            dependencies=[d.lower() for d in dependencies],
            version=version.group(1) if version else "",
            rule="pom.xml",
        )
        if not any(f.field == "spec.type" for f in facts):
            facts.append(Fact(unit, "spec.type", "library", 0.5, path, "a jar without a web framework"))
        return facts

    def _gradle(self, repo: RepoView, path: str) -> list[Fact]:
        text = repo.text(path) or ""
        unit = folder(path)
        dependencies = [
            d.rsplit(":", 1)[0].rsplit(":", 1)[-1]
            for d in re.findall(r"['\"]([\w.\-]+:[\w.\-]+(?::[\w.\-]+)?)['\"]", text)
        ]
        name = unit.rsplit("/", 1)[-1] if unit else repo.repository.name
        facts = package_facts(
            unit,
            path,
            name=name,
            description="",
            language="kotlin" if path.endswith(".kts") else "java",
            dependencies=[d.lower() for d in dependencies],
            rule="the Gradle build",
        )
        if "maven-publish" in text or "`maven-publish`" in text:
            facts.append(Fact(unit, "spec.type", "library", 0.7, path, "the build applies maven-publish"))
        elif "application" in text and "plugins" in text:
            facts.append(Fact(unit, "spec.type", "service", 0.4, path, "the build applies the application plugin"))
        return facts

    def _cargo(self, repo: RepoView, path: str) -> list[Fact]:
        data = toml(repo.text(path))
        unit = folder(path)
        package = data.get("package") or {}
        if not package:
            return (
                [Fact(unit, "workspace", True, 0.9, path, "Cargo.toml declares a workspace")]
                if data.get("workspace")
                else []
            )
        facts = package_facts(
            unit,
            path,
            name=str(package.get("name") or ""),
            description=str(package.get("description") or ""),
            language="rust",
            dependencies=[str(d).lower() for d in data.get("dependencies") or {}],
            version=str(package.get("version") or ""),
            rule="Cargo.toml",
        )
        prefix = f"{unit}/" if unit else ""
        if not any(f.field == "spec.type" for f in facts):
            binary = repo.exists(f"{prefix}src/main.rs") or bool(data.get("bin"))
            kind, rule = (
                ("service", "it builds a binary (src/main.rs)") if binary else ("library", "it builds a library")
            )
            facts.append(Fact(unit, "spec.type", kind, 0.4, path, rule))
        return facts

    def _compose(self, repo: RepoView, path: str) -> list[Fact]:
        facts: list[Fact] = []
        base = folder(path)
        for document in yaml_documents(repo.text(path)):
            services = document.get("services") if isinstance(document, dict) else None
            if not isinstance(services, dict):
                continue
            built: dict[str, str] = {}
            for name, service in services.items():
                if not isinstance(service, dict):
                    continue
                build: Any = service.get("build")
                context = build.get("context") if isinstance(build, dict) else build
                if isinstance(context, str):
                    unit = _join(base, context)
                    built[str(name)] = unit
                    facts.append(Fact(unit, "spec.type", "service", 0.7, path, f"{path} runs it as service {name!r}"))
            for name, service in services.items():
                image = str(service.get("image") or "") if isinstance(service, dict) else ""
                tech = next((t for prefix, t in IMAGES.items() if image.split(":")[0].endswith(prefix)), None)
                if not tech:
                    continue
                users = [unit for other, unit in built.items() if name in (services[other] or {}).get("depends_on", [])]
                for unit in users or ["*"]:
                    facts.append(Fact(unit, "resource", tech, 0.8, path, f"{path} runs {image} beside it"))
        return facts


def _join(base: str, relative: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, relative))
    return "" if joined == "." else joined


def package_facts(
    unit: str,
    path: str,
    *,
    name: str,
    description: str,
    language: str,
    dependencies: list[str],
    version: str = "",
    rule: str,
) -> list[Fact]:
    facts = [Fact(unit, "unit", True, 0.9, path, f"{path} describes a package")]
    if name:
        facts.append(Fact(unit, "metadata.name", entity_name(name), 0.9, path, f"{rule} names it {name!r}"))
    if description:
        facts.append(Fact(unit, "metadata.description", description, 0.6, path, f"{rule} describes it"))
    facts.append(Fact(unit, "metadata.tags", language, 0.9, path, f"{path} is a {language} manifest"))
    for dependency in dependencies:
        for fragment, (tag, kind) in FRAMEWORKS.items():
            if dependency == fragment or dependency.startswith(fragment + "/"):
                if tag:
                    facts.append(Fact(unit, "metadata.tags", tag, 0.8, path, f"it depends on {dependency}"))
                # A browser framework says "website" more surely than a server framework says "service".
                confidence = 0.85 if kind == "website" else 0.5
                facts.append(Fact(unit, "spec.type", kind, confidence, path, f"it depends on {dependency}"))
        tech = RESOURCES.get(dependency)
        if tech:
            facts.append(Fact(unit, "resource", tech, 0.6, path, f"it depends on {dependency}, a {tech} client"))
    if version:
        stage = "experimental" if version.startswith("0.") else "production"
        facts.append(Fact(unit, "spec.lifecycle", stage, 0.35, path, f"its version is {version}"))
    return facts
