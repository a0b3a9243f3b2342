"""API definitions in the repository: OpenAPI, AsyncAPI, GraphQL schemas and protobuf services."""

from __future__ import annotations

import re

from callboard.builtins.detectors.common import entity_name, folder, json_object, yaml_documents
from callboard.sdk import Fact, RepoView

_TOP_KEY = re.compile(r"^\s*[\"']?(openapi|swagger|asyncapi)[\"']?\s*:", re.M)


class ApiSpecs:
    id = "specs"

    def detect(self, repo: RepoView) -> list[Fact]:
        facts: list[Fact] = []
        for path in repo.glob("*.yaml", "*.yml", "*.json"):
            if path.startswith(".github/") or path.rsplit("/", 1)[-1] in ("package.json", "tsconfig.json"):
                continue
            text = repo.text(path) or ""
            if path.endswith(".json"):
                document: object = json_object(text)
                key = next((k for k in ("openapi", "swagger", "asyncapi") if k in document), None)  # type: ignore[operator]
            else:
                found = _TOP_KEY.search(text[:4000])
                key = found.group(1) if found else None
                document = next(yaml_documents(text), None) if key else None
            if not key or not isinstance(document, dict):
                continue
            kind = "asyncapi" if key == "asyncapi" else "openapi"
            info: dict[str, object] = document["info"] if isinstance(document.get("info"), dict) else {}
            title = str(info.get("title") or "")
            api = {
                "name": entity_name(title) if title else None,
                "type": kind,
                "description": str(info.get("description") or "").strip().split("\n")[0],
                "definition": text,
            }
            facts.append(Fact(folder(path), "api", api, 0.95, path, f"{path} is an {kind} definition"))
        for path in repo.glob("*.graphql", "*.graphqls", "*.gql"):
            text = repo.text(path) or ""
            if re.search(r"\btype\s+(Query|Mutation)\b", text):
                api = {"name": None, "type": "graphql", "description": "", "definition": text}
                facts.append(Fact(folder(path), "api", api, 0.9, path, f"{path} is a GraphQL schema"))
        for path in repo.glob("*.proto"):
            text = repo.text(path) or ""
            service = re.search(r"^\s*service\s+(\w+)\s*\{", text, re.M)
            if service:
                name = entity_name(re.sub(r"(?<!^)(?=[A-Z])", "-", service.group(1))) + "-grpc"
                api = {"name": name, "type": "grpc", "description": "", "definition": text}
                facts.append(
                    Fact(folder(path), "api", api, 0.9, path, f"{path} defines the gRPC service {service.group(1)}")
                )
        return facts
