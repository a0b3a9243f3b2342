"""The OpenAPI document as the API behaves: every error status a route can answer, in Backstage's error body.

FastAPI documents a 422 for validation errors that Callboard answers as 400, and nothing of what the auth
layer, the body-size limits and the services answer. One pass over the generated document adds them, by
rule, so a new route is documented like the others without repeating the list.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from callboard.web.api.models import ErrorBody

_REASONS = {
    "400": "The request is malformed or names something invalid; the message says which parameter or field.",
    "401": "No identity: sign in or send Authorization: Bearer <token>.",
    "403": "The permission policy does not allow this to the caller.",
    "404": "Nothing of that name, or nothing the caller may see.",
    "409": "It exists already.",
    "413": "The request body is larger than backend.limits.requestBody allows.",
}

#: Operations that can conflict with something that exists (registering a location twice).
_CONFLICTS = {("post", "/api/catalog/locations")}
#: Operations without a path parameter that still name something that may not exist.
_NAMING = {
    ("post", "/api/catalog/refresh"),
    ("post", "/api/catalog/analyze-location"),
    ("post", "/api/scaffolder/v2/tasks"),
}


def _error(status: str) -> dict[str, Any]:
    return {
        "description": _REASONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorBody"] = error_schema
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    # Every operation needs an identity: a Callboard token, a service token, or the session cookie.
    schema["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "A Callboard or service token."},
        "session": {"type": "apiKey", "in": "cookie", "name": "callboard_session"},
    }
    schema["security"] = [{"bearer": []}, {"session": []}]
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            wanted = ["400", "401", "403"]
            if "{" in path or (method, path) in _NAMING:
                wanted.append("404")
            if "requestBody" in operation:
                wanted.append("413")
            if (method, path) in _CONFLICTS:
                wanted.append("409")
            extra = [status for status in responses if status[:1] in ("4", "5") and status not in wanted]
            for status in wanted:
                responses.setdefault(status, _error(status))
            for status in extra:
                # An error status a route declares beyond these (a plugin's 404 on a query, say) has the same body.
                responses[status].setdefault("content", _error("400")["content"])
            if path.startswith("/.backstage/health/"):
                operation["security"] = []  # health checks need no identity
                for status in ("401", "403"):
                    responses.pop(status, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    def generate() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            app.openapi_schema = document_errors(schema)
        return app.openapi_schema

    app.openapi = generate  # type: ignore[method-assign]
