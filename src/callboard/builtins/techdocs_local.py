"""The built-in docs publisher: sites on the server's disk under ``<dataDir>/techdocs`` (``techdocs.publisher.type:
local``, the default). Another storage (S3, GCS) is a plugin implementing the same hook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from callboard.sdk import DocsPublisher, LocalPublisher, hookimpl

CALLBOARD_PLUGIN_API = "1.1"


@hookimpl
def docs_publisher(config: dict[str, Any], data_dir: Path) -> DocsPublisher | None:
    kind = str(((config or {}).get("publisher") or {}).get("type") or "local")
    return LocalPublisher(data_dir / "techdocs") if kind == "local" else None
