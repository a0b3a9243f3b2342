"""The sample repositories' files and the entities a person reading them would expect (kind, type, owner,
lifecycle, provided APIs, docs). Written to disk by ``sample_repos.py``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ORG = "acme"

Files = dict[str, str]


@dataclass(frozen=True)
class Expected:
    kind: str
    name: str
    type: str | None = None
    owner: str | None = None
    lifecycle: str | None = None
    provides_apis: tuple[str, ...] = ()
    techdocs_ref: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}:default/{self.name}".lower()

    def fields(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "kind": self.kind,
            "type": self.type,
            "owner": self.owner,
            "lifecycle": self.lifecycle,
        }
        if self.kind == "Component":
            values["providesApis"] = sorted(self.provides_apis)
            values["techdocs-ref"] = self.techdocs_ref
        return {key: value for key, value in values.items() if value is not None}


@dataclass
class SampleRepo:
    name: str
    files: Files
    expected: list[Expected] = field(default_factory=list)


def _workflow(*steps: str, environments: tuple[str, ...] = ()) -> str:
    jobs = ["jobs:", "  test:", "    runs-on: ubuntu-latest", "    steps:", "      - uses: actions/checkout@v4"]
    jobs += [f"      - run: {step}" for step in steps if not step.startswith("deploy")]
    for environment in environments:
        jobs += [
            f"  deploy-{environment}:",
            "    runs-on: ubuntu-latest",
            f"    environment: {environment}",
            "    steps:",
        ]
        jobs += [f"      - run: {step.removeprefix('deploy:')}" for step in steps if step.startswith("deploy")]
    return "name: ci\non: [push]\n" + "\n".join(jobs) + "\n"


def _openapi(title: str, path: str = "/items") -> str:
    return (
        f"openapi: 3.0.3\ninfo:\n  title: {title}\n  version: 1.0.0\n  description: The {title}.\n"
        f"paths:\n  {path}:\n    get:\n      responses:\n        '200': {{description: OK}}\n"
    )


def _pyproject(name: str, version: str, *deps: str, description: str = "", scripts: bool = False) -> str:
    text = f'[project]\nname = "{name}"\nversion = "{version}"\ndescription = "{description}"\n'
    text += "dependencies = [" + ", ".join(f'"{d}"' for d in deps) + "]\n"
    if scripts:
        text += f'\n[project.scripts]\n{name} = "{name.replace("-", "_")}.cli:main"\n'
    return text


def _package_json(name: str, version: str, deps: dict[str, str], **extra: Any) -> str:
    return json.dumps({"name": name, "version": version, "dependencies": deps, **extra}, indent=2) + "\n"


def _readme(title: str, paragraph: str) -> str:
    return f"# {title}\n\n{paragraph}\n\n## Development\n\nSee CONTRIBUTING.md.\n"


def _mkdocs(title: str) -> Files:
    return {"mkdocs.yml": f"site_name: {title}\n", "docs/index.md": f"# {title}\n\nHow it works.\n"}


DOCKERFILE = 'FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "-m", "app"]\n'


def _k8s(name: str, namespace: str, *, label: bool = True) -> str:
    labels = f"\n    backstage.io/kubernetes-id: {name}" if label else ""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
        f"  labels:\n    app: {name}{labels}\nspec:\n  replicas: 2\n"
    )


def repository_specs() -> list[SampleRepo]:
    c = "Component"
    return [
        SampleRepo(
            "orders-service",
            {
                "pyproject.toml": _pyproject("orders-service", "2.3.0", "fastapi>=0.110", "psycopg[binary]>=3.1"),
                "Dockerfile": DOCKERFILE,
                ".github/workflows/ci.yml": _workflow(
                    "pytest", "deploy:helm upgrade orders ./chart", environments=("staging", "production")
                ),
                "openapi.yaml": _openapi("Orders API", "/orders"),
                "CODEOWNERS": "* @acme/commerce\n",
                "README.md": _readme("Orders service", "Takes orders from the storefront and tracks them to delivery."),
                **_mkdocs("Orders"),
            },
            [
                Expected(c, "orders-service", "service", "group:commerce", "production", ("orders-api",), "dir:."),
                Expected("API", "orders-api", "openapi", "group:commerce", "production"),
                Expected("Resource", "orders-service-postgres", "database", "group:commerce"),
            ],
        ),
        SampleRepo(
            "billing-worker",
            {
                "pyproject.toml": _pyproject("billing-worker", "1.8.2", "celery", "redis>=5"),
                "Dockerfile": DOCKERFILE,
                ".gitlab-ci.yml": "stages: [test, deploy]\ntest:\n  script: [pytest]\ndeploy:\n  stage: deploy\n"
                "  script: [kubectl apply -f k8s/]\n  environment:\n    name: production\n",
                "CODEOWNERS": "* @acme/billing\n",
                "README.md": _readme("Billing worker", "Runs invoicing jobs every night."),
            },
            [
                Expected(c, "billing-worker", "service", "group:billing", "production"),
                Expected("Resource", "billing-worker-redis", "cache", "group:billing"),
            ],
        ),
        SampleRepo(
            "py-retry",
            {
                "pyproject.toml": _pyproject("py-retry", "1.4.0", description="Retries with backoff and jitter."),
                ".github/workflows/release.yml": _workflow("pytest", "python -m build")
                + "      - uses: pypa/gh-action-pypi-publish@release/v1\n",
                "CODEOWNERS": "* @acme/platform\n",
                "README.md": _readme("py-retry", "Retries with exponential backoff and jitter for Python services."),
            },
            [Expected(c, "py-retry", "library", "group:platform", "production")],
        ),
        SampleRepo(
            "py-feature-flags",
            {
                "pyproject.toml": _pyproject("py-feature-flags", "0.3.0"),
                ".github/workflows/release.yml": _workflow("pytest", "uv publish"),
                "README.md": _readme("Feature flags", "Feature flags read from the config service."),
            },
            # Published (uv publish): released and in use, though 0.x, as the real repositories' owners say.
            [Expected(c, "py-feature-flags", "library", "group:unowned", "production")],
        ),
        SampleRepo(
            "web-storefront",
            {
                "package.json": _package_json(
                    "@acme/web-storefront",
                    "3.0.0",
                    {"react": "^18", "react-dom": "^18"},
                    devDependencies={"vite": "^5", "typescript": "^5"},
                ),
                "tsconfig.json": "{}\n",
                "Dockerfile": "FROM nginx\nCOPY dist /usr/share/nginx/html\n",
                ".github/workflows/deploy.yml": _workflow(
                    "npm test", "deploy:kubectl apply -f k8s/", environments=("production",)
                ),
                "CODEOWNERS": "* @acme/web\n",
                "README.md": _readme("Storefront", "The shop customers browse and buy from."),
            },
            [Expected(c, "web-storefront", "website", "group:web", "production")],
        ),
        SampleRepo(
            "checkout-api",
            {
                "package.json": _package_json("@acme/checkout-api", "1.2.0", {"express": "^4", "pg": "^8"}),
                "Dockerfile": 'FROM node:20\nCOPY . .\nCMD ["node", "server.js"]\n',
                "k8s/deployment.yaml": _k8s("checkout-api", "shop"),
                ".circleci/config.yml": "version: 2.1\njobs:\n  deploy:\n    steps:\n      - run: npm test\n"
                "      - run: kubectl apply -f k8s/\nworkflows:\n  main:\n    jobs:\n      - deploy:\n"
                "          context: production\n",
                "api/openapi.yaml": _openapi("Checkout API", "/checkout"),
                "CODEOWNERS": "* @acme/commerce\n",
            },
            [
                Expected(c, "checkout-api", "service", "group:commerce", "production", ("checkout-api",)),
                Expected("API", "checkout-api", "openapi", "group:commerce", "production"),
                Expected("Resource", "checkout-api-postgres", "database", "group:commerce"),
            ],
        ),
        SampleRepo(
            "ui-kit",
            {
                "package.json": _package_json(
                    "@acme/ui-kit", "2.1.0", {}, peerDependencies={"react": "^18"}, publishConfig={"access": "public"}
                ),
                ".github/workflows/release.yml": _workflow("npm test", "npm publish"),
                "CODEOWNERS": "* @acme/web\n",
                "README.md": _readme("UI kit", "Buttons, forms and layouts shared by our web apps."),
                **_mkdocs("UI kit"),
            },
            [Expected(c, "ui-kit", "library", "group:web", "production", (), "dir:.")],
        ),
        SampleRepo(
            "shipping-gateway",
            {
                "go.mod": "module github.com/acme/shipping-gateway\n\ngo 1.22\n\nrequire (\n"
                "\tgithub.com/gin-gonic/gin v1.9.1\n)\n",
                "main.go": "package main\n\nfunc main() {}\n",
                "Dockerfile": "FROM golang:1.22\n",
                "chart/Chart.yaml": "apiVersion: v2\nname: shipping-gateway\nversion: 0.1.0\n",
                ".github/workflows/deploy.yml": _workflow(
                    "go test ./...", "deploy:helm upgrade shipping-gateway chart", environments=("production",)
                ),
                "proto/shipping.proto": 'syntax = "proto3";\npackage acme.shipping.v1;\n\n'
                "service ShippingService {\n  rpc Quote (QuoteRequest) returns (QuoteReply);\n}\n",
                "CODEOWNERS": "* @acme/logistics\n",
            },
            [
                Expected(c, "shipping-gateway", "service", "group:logistics", "production", ("shipping-service-grpc",)),
                Expected("API", "shipping-service-grpc", "grpc", "group:logistics", "production"),
            ],
        ),
        SampleRepo(
            "go-telemetry",
            {
                "go.mod": "module github.com/acme/go-telemetry\n\ngo 1.22\n",
                "telemetry.go": "package telemetry\n",
                ".github/workflows/ci.yml": _workflow("go test ./..."),
                "CODEOWNERS": "* @acme/sre\n",
            },
            [Expected(c, "go-telemetry", "library", "group:sre", "experimental")],
        ),
        SampleRepo(
            "inventory-service",
            {
                "pom.xml": "<project>\n  <artifactId>inventory-service</artifactId>\n  <version>4.0.1</version>\n"
                "  <description>Stock levels per warehouse.</description>\n  <dependencies>\n"
                "    <dependency><artifactId>spring-boot-starter-web</artifactId></dependency>\n"
                "    <dependency><artifactId>postgresql</artifactId></dependency>\n  </dependencies>\n</project>\n",
                "Dockerfile": "FROM eclipse-temurin:21\n",
                "Jenkinsfile": "pipeline {\n  stages {\n    stage('Test') { steps { sh 'mvn verify' } }\n"
                "    stage('Deploy to production') { steps { sh 'kubectl apply -f k8s/' } }\n  }\n}\n",
                "src/main/resources/openapi.json": json.dumps(
                    {"openapi": "3.0.3", "info": {"title": "Inventory API", "version": "1"}, "paths": {}}
                ),
                "CODEOWNERS": "* @acme/logistics\n",
            },
            [
                Expected(c, "inventory-service", "service", "group:logistics", "production", ("inventory-api",)),
                Expected("API", "inventory-api", "openapi", "group:logistics", "production"),
                Expected("Resource", "inventory-service-postgres", "database", "group:logistics"),
            ],
        ),
        SampleRepo(
            "java-commons",
            {
                "pom.xml": "<project>\n  <artifactId>java-commons</artifactId>\n  <version>3.2.0</version>\n"
                "  <packaging>jar</packaging>\n</project>\n",
                ".github/workflows/release.yml": _workflow("mvn -B verify", "mvn -B deploy"),
                "CODEOWNERS": "* @acme/platform\n",
            },
            [Expected(c, "java-commons", "library", "group:platform", "production")],
        ),
        SampleRepo(
            "payments-platform",
            {
                "package.json": json.dumps(
                    {"name": "payments-platform", "private": True, "workspaces": ["services/*", "packages/*"]}
                ),
                "services/payments-api/package.json": _package_json("@acme/payments-api", "1.5.0", {"express": "^4"}),
                "services/payments-api/Dockerfile": "FROM node:20\n",
                "services/payments-api/openapi.yaml": _openapi("Payments API", "/payments"),
                "services/payments-worker/package.json": _package_json(
                    "@acme/payments-worker", "1.5.0", {"kafkajs": "^2"}
                ),
                "services/payments-worker/Dockerfile": "FROM node:20\n",
                "packages/payments-sdk/package.json": _package_json(
                    "@acme/payments-sdk", "1.0.0", {}, publishConfig={"access": "public"}
                ),
                ".github/workflows/ci.yml": _workflow(
                    "npm test", "deploy:kubectl apply -f k8s/", environments=("production",)
                ),
                "CODEOWNERS": "* @acme/payments\n/packages/ @acme/payments-sdk-maintainers\n",
                "README.md": _readme("Payments platform", "Everything that moves money."),
            },
            [
                Expected(c, "payments-api", "service", "group:payments", "production", ("payments-api",)),
                Expected("API", "payments-api", "openapi", "group:payments", "production"),
                Expected(c, "payments-worker", "service", "group:payments", "production"),
                Expected("Resource", "payments-worker-kafka", "queue", "group:payments"),
                Expected(c, "payments-sdk", "library", "group:payments-sdk-maintainers", "production"),
            ],
        ),
        SampleRepo(
            "data-pipelines",
            {
                "pyproject.toml": _pyproject("data-pipelines", "0.9.0", "pandas", "sqlalchemy"),
                "Dockerfile": DOCKERFILE,
                ".gitlab-ci.yml": "deploy:\n  script: [kubectl apply -f k8s/]\n  environment: staging\n",
                "CODEOWNERS": "* @acme/data\n",
            },
            [Expected(c, "data-pipelines", "service", "group:data", "experimental")],
        ),
        SampleRepo(
            "legacy-billing",
            {
                "pom.xml": "<project>\n  <artifactId>legacy-billing</artifactId>\n  <version>7.2.0</version>\n"
                "  <dependencies><dependency><artifactId>spring-boot-starter-web</artifactId></dependency>"
                "</dependencies>\n</project>\n",
                "Dockerfile": "FROM eclipse-temurin:11\n",
                "README.md": _readme("Legacy billing", "Deprecated: replaced by billing-worker. Do not add features."),
                "CODEOWNERS": "* @acme/billing\n",
            },
            [Expected(c, "legacy-billing", "service", "group:billing", "deprecated")],
        ),
        SampleRepo(
            "handbook",
            {
                **_mkdocs("Engineering handbook"),
                "README.md": _readme("Handbook", "How we build software at Acme."),
                "CODEOWNERS": "* @acme/engineering-leads\n",
            },
            [Expected(c, "handbook", "website", "group:engineering-leads", "production", (), "dir:.")],
        ),
        SampleRepo(
            "platform-docs",
            {**_mkdocs("Platform"), "docs/runbooks.md": "# Runbooks\n", "CODEOWNERS": "* @acme/platform\n"},
            [Expected(c, "platform-docs", "website", "group:platform", "production", (), "dir:.")],
        ),
        SampleRepo(
            "infra-terraform",
            {
                "main.tf": 'provider "aws" {}\n',
                "modules/vpc/main.tf": 'resource "aws_vpc" "main" {}\n',
                "CODEOWNERS": "* @acme/sre\n",
            },
            [Expected(c, "infra-terraform", "infrastructure", "group:sre", "production")],
        ),
        SampleRepo(
            "cluster-config",
            {
                "apps/ingress.yaml": _k8s("ingress-nginx", "ingress", label=False),
                "kustomization.yaml": "resources: [apps/ingress.yaml]\n",
                "CODEOWNERS": "* @acme/sre\n",
            },
            [Expected(c, "cluster-config", "infrastructure", "group:sre", "production")],
        ),
        SampleRepo(
            "edge-proxy",
            {
                "Cargo.toml": '[package]\nname = "edge-proxy"\nversion = "1.1.0"\n\n[dependencies]\naxum = "0.7"\n',
                "src/main.rs": "fn main() {}\n",
                "Dockerfile": "FROM rust:1.80\n",
                ".github/workflows/deploy.yml": _workflow(
                    "cargo test", "deploy:kubectl apply -f k8s/", environments=("production",)
                ),
                "CODEOWNERS": "* @acme/sre\n",
            },
            [Expected(c, "edge-proxy", "service", "group:sre", "production")],
        ),
        SampleRepo(
            "rust-codec",
            {
                "Cargo.toml": '[package]\nname = "rust-codec"\nversion = "0.9.0"\ndescription = "Binary codecs."\n',
                "src/lib.rs": "pub fn encode() {}\n",
                ".github/workflows/release.yml": _workflow("cargo test", "cargo publish"),
                "CODEOWNERS": "* @acme/platform\n",
            },
            # Published to crates.io: in use, though its version is 0.x (as tokio was for years); the real
            # repositories' owners call released code production (benchmarks/discovery_real.py).
            [Expected(c, "rust-codec", "library", "group:platform", "production")],
        ),
        SampleRepo(
            "notifications-service",
            {
                "pyproject.toml": _pyproject("notifications-service", "1.0.0", "flask", "confluent-kafka"),
                "Dockerfile": DOCKERFILE,
                "asyncapi.yaml": "asyncapi: 2.6.0\ninfo:\n  title: Notification Events\n  version: 1.0.0\n"
                "channels:\n  notifications: {}\n",
                ".github/workflows/ci.yml": _workflow(
                    "pytest", "deploy:helm upgrade notifications chart", environments=("production",)
                ),
                "CODEOWNERS": "* @acme/customer\n",
            },
            [
                Expected(
                    c, "notifications-service", "service", "group:customer", "production", ("notification-events",)
                ),
                Expected("API", "notification-events", "asyncapi", "group:customer", "production"),
                Expected("Resource", "notifications-service-kafka", "queue", "group:customer"),
            ],
        ),
        SampleRepo(
            "graphql-gateway",
            {
                "package.json": _package_json("graphql-gateway", "2.0.0", {"express": "^4", "graphql": "^16"}),
                "Dockerfile": "FROM node:20\n",
                "schema.graphql": "type Query {\n  order(id: ID!): Order\n}\n\ntype Order { id: ID! }\n",
                ".github/workflows/ci.yml": _workflow(
                    "npm test", "deploy:kubectl apply -f k8s", environments=("production",)
                ),
                "CODEOWNERS": "* @acme/web\n",
            },
            [
                Expected(c, "graphql-gateway", "service", "group:web", "production", ("graphql-gateway-graphql",)),
                Expected("API", "graphql-gateway-graphql", "graphql", "group:web", "production"),
            ],
        ),
        SampleRepo(
            "insights-dashboards",
            {
                "package.json": _package_json("insights-dashboards", "1.3.0", {"next": "14", "react": "18"}),
                ".github/workflows/deploy.yml": _workflow(
                    "npm test", "deploy:fly deploy", environments=("production",)
                ),
                "CODEOWNERS": "* @acme/data\n",
                "README.md": _readme("Insights dashboards", "Charts of orders, revenue and delivery times."),
            },
            [Expected(c, "insights-dashboards", "website", "group:data", "production")],
        ),
        SampleRepo(
            "search-indexer",
            {
                "go.mod": "module github.com/acme/search-indexer\n\ngo 1.22\n",
                "cmd/indexer/main.go": "package main\n\nfunc main() {}\n",
                "deploy/deployment.yaml": _k8s("search-indexer", "search"),
                ".github/workflows/deploy.yml": _workflow(
                    "go test ./...", "deploy:kubectl apply -f deploy/", environments=("production",)
                ),
                "CODEOWNERS": "* @acme/platform\n",
                "catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                "  name: search-indexer\n  description: Keeps the search index fresh.\nspec:\n  type: service\n"
                "  lifecycle: production\n  owner: group:search\n",
            },
            [Expected(c, "search-indexer", "service", "group:search", "production")],
        ),
        SampleRepo(
            "user-profiles",
            {
                "pyproject.toml": _pyproject("user-profiles", "0.8.0", "django"),
                "Dockerfile": DOCKERFILE,
                "CODEOWNERS": "* @acme/accounts\n",
                "catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                "  name: profiles\nspec:\n  type: service\n  lifecycle: production\n  owner: group:identity\n",
                **_mkdocs("Profiles"),
            },
            [Expected(c, "profiles", "service", "group:identity", "production", (), "dir:.")],
        ),
        SampleRepo(
            "config-schemas",
            {"schemas/service.schema.json": '{"type": "object"}\n', "LICENSE": "MIT\n"},
            [],
        ),
        SampleRepo(
            "dev-cli",
            {
                "pyproject.toml": _pyproject("dev-cli", "0.4.0", "typer", scripts=True),
                ".github/workflows/ci.yml": _workflow("pytest"),
                "CODEOWNERS": "* @acme/platform\n",
                "README.md": _readme("dev", "The command line our engineers use to create and run services locally."),
            },
            [Expected(c, "dev-cli", "library", "group:platform", "experimental")],
        ),
    ]
