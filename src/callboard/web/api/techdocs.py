"""``/api/techdocs``: Backstage's TechDocs backend routes, for its frontend and tools that read docs sites.

Every route reads the entity through the secured catalog first, so docs are exactly as readable as their
entity (an entity the caller may not read has no docs for them: 404). Stored files are served as they
were built; HTML and SVG come with a sandboxing Content-Security-Policy, since a docs site is written by
whoever owns the repository and must not run script in the portal's origin (Backstage's frontend sanitises
them instead; the portal's own docs pages sanitise too).
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
from collections.abc import AsyncIterator, Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, StreamingResponse

from callboard.catalog.api import SecuredCatalog
from callboard.core.errors import NotFoundError
from callboard.techdocs.api import TechDocsService, location_metadata

#: Built pages may hold anything their authors wrote: no script, no plugins, no forms, an opaque origin.
SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self'"
#: How long a sync waits for a build before saying it is still running (the reader polls again).
SYNC_SECONDS = 300.0


def techdocs_router(catalog: SecuredCatalog, techdocs: TechDocsService) -> APIRouter:
    router = APIRouter(prefix="/api/techdocs", tags=["techdocs"])

    def readable(namespace: str, kind: str, name: str) -> dict[str, Any]:
        return catalog.entity_by_name(kind, namespace, name)

    @router.get("/metadata/techdocs/{namespace}/{kind}/{name}")
    def docs_metadata(namespace: str, kind: str, name: str) -> dict[str, Any]:
        """The built site's ``techdocs_metadata.json`` (404 until the docs are built)."""
        readable(namespace, kind, name)
        metadata = techdocs.publisher.metadata(namespace, kind, name)
        if metadata is None:
            raise NotFoundError(f"No docs have been built for {kind}:{namespace}/{name} yet")
        return metadata

    @router.get("/metadata/entity/{namespace}/{kind}/{name}")
    def entity_metadata(namespace: str, kind: str, name: str) -> dict[str, Any]:
        entity = readable(namespace, kind, name)
        return {**entity, "locationMetadata": location_metadata(entity)}

    @router.get("/static/docs/{namespace}/{kind}/{name}/{path:path}")
    def static_file(namespace: str, kind: str, name: str, path: str) -> FileResponse:
        readable(namespace, kind, name)
        file = techdocs.publisher.file(namespace, kind, name, path)
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
        if media_type in ("text/html", "image/svg+xml", "application/xhtml+xml"):
            headers["Content-Security-Policy"] = SANDBOX
        return FileResponse(file, media_type=media_type, headers=headers)

    @router.get("/sync/{namespace}/{kind}/{name}")
    def sync(namespace: str, kind: str, name: str) -> StreamingResponse:
        """Build the docs if their sources changed, as server-sent events: ``log`` lines, then ``finish``
        (``{"updated": true|false}``) or ``error`` (``{"message": ...}``), as Backstage's reader expects."""
        entity = readable(namespace, kind, name)
        state = techdocs.state(entity)
        return StreamingResponse(
            _sync_events(techdocs, entity, state.building, state.error),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


async def _sync_events(
    techdocs: TechDocsService, entity: Mapping[str, Any], building: bool, error: str | None
) -> AsyncIterator[str]:
    if not building:
        if error:
            yield _event("error", {"message": error})
        else:
            yield _event("finish", {"updated": False})
        return
    yield _event("log", "Building the docs: their sources changed since the last build")
    loop = asyncio.get_running_loop()
    waited = 0.0
    while waited < SYNC_SECONDS:
        # Wait in a thread, a few seconds at a time, so a closed connection ends the stream soon.
        await loop.run_in_executor(None, techdocs.wait, entity, 2.0)
        waited += 2.0
        state = techdocs.state(entity, refresh=False)
        if not state.building:
            if state.error:
                yield _event("log", state.log or state.error)
                yield _event("error", {"message": state.error})
            else:
                yield _event("finish", {"updated": True})
            return
        yield _event("log", "Still building...")
    late = f"The build took longer than {int(SYNC_SECONDS)} s; it goes on in the background"
    yield _event("error", {"message": late})
