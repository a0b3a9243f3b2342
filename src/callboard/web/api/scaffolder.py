"""``/api/scaffolder/v2``: Backstage's scaffolder API (actions, template forms, dry runs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from callboard.catalog.secured import SecuredCatalog
from callboard.core.errors import InputError
from callboard.core.identity import NOBODY
from callboard.scaffolder.service import ScaffolderService


def scaffolder_router(catalog: SecuredCatalog, scaffolder: ScaffolderService) -> APIRouter:
    router = APIRouter(prefix="/api/scaffolder/v2", tags=["scaffolder"])

    @router.get("/actions")
    def actions() -> list[dict[str, Any]]:
        return scaffolder.list_actions()

    @router.get("/templates/{namespace}/{kind}/{name}/parameter-schema")
    def parameter_schema(namespace: str, kind: str, name: str) -> dict[str, Any]:
        return scaffolder.parameter_schema(catalog.entity_by_name(kind, namespace, name))

    @router.post("/dry-run")
    def dry_run(request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        template, values = body.get("template"), body.get("values", {})
        if not isinstance(template, dict) or not isinstance(values, dict):
            raise InputError("Send {template: <Template entity>, values: {...}, directoryContents?: [...]}")
        identity = getattr(request.state, "identity", NOBODY)
        return scaffolder.dry_run(
            template,
            values,
            secrets=body.get("secrets") or {},
            directory_contents=body.get("directoryContents") or [],
            user={"ref": identity.subject},
        )

    return router
