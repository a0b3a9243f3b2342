"""The Definition tab of API entities: OpenAPI in an interactive viewer, other formats highlighted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from callboard.sdk import EntityContext, highlight

#: spec.type → Pygments lexer for the definition text.
LANGUAGES = {
    "openapi": "yaml",
    "asyncapi": "yaml",
    "graphql": "graphql",
    "grpc": "protobuf",
    "trpc": "typescript",
}


def _language(api_type: str, text: str) -> str:
    if api_type in ("openapi", "asyncapi") and text.lstrip().startswith("{"):
        return "json"
    return LANGUAGES.get(api_type, "text")


def definition_context(context: EntityContext) -> Mapping[str, Any]:
    spec = context.entity.get("spec") or {}
    api_type = str(spec.get("type", "")).lower()
    text = spec.get("definition")
    if not isinstance(text, str):
        text = json.dumps(text, indent=2) if text is not None else ""
    openapi: str | None = None
    parse_error: str | None = None
    if api_type == "openapi" and text:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            parse_error = f"The definition is not valid YAML or JSON: {error}"
        else:
            if isinstance(document, dict):
                # Inside a <script type="application/json"> block: "</" must not end the block early.
                openapi = json.dumps(document, default=str).replace("</", "<\\/")
            else:
                parse_error = "The definition is not an OpenAPI document (its top level is not a mapping)"
    return {
        "api_type": api_type or "unknown",
        "text": text,
        "source": highlight(text, _language(api_type, text)),
        "openapi_json": openapi,
        "parse_error": parse_error,
    }
