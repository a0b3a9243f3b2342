"""The id of the request being served, for log lines written while serving it (a context variable: it follows
the request into the threads its handlers run in)."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("callboard_request_id", default=None)
