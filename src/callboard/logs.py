"""Where Callboard's log lines go and how they look: JSON lines (one object per line, with the request's id) for
log collectors, or plain text for a person at a terminal.

JSON unless ``auth.environment`` is ``development``; ``CALLBOARD_LOG_FORMAT=json|text`` overrides, and
``LOG_LEVEL`` (Backstage's variable) sets the level (``info`` by default).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from pythonjsonlogger.json import JsonFormatter

from callboard.core.request_context import request_id

LEVELS = ("debug", "info", "warning", "error", "critical")
#: Libraries whose INFO lines are chatter (each migration step, each outgoing HTTP call): shown only at debug.
CHATTY = ("alembic", "httpx", "httpcore")


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def log_format(environment: str, environ: Mapping[str, str] = os.environ) -> str:
    chosen = environ.get("CALLBOARD_LOG_FORMAT", "").strip().lower()
    if chosen in ("json", "text"):
        return chosen
    return "text" if environment == "development" else "json"


def configure_logging(environment: str, environ: Mapping[str, str] = os.environ, *, default_level: str = "info") -> str:
    """Send every log line to standard error in the chosen format; returns the format."""
    chosen = log_format(environment, environ)
    level = environ.get("LOG_LEVEL", default_level).strip().lower()
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestId())
    if chosen == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                timestamp=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if level in LEVELS else "INFO")
    for name in CHATTY:
        logging.getLogger(name).setLevel("DEBUG" if level == "debug" else "WARNING")
    return chosen
