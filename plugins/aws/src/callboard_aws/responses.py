"""Reading AWS's answers: every page of a listing, and an error in a line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def paginate(client: Any, operation: str, key: str, **arguments: Any) -> Iterator[Any]:
    """Every item under ``key`` of every page ``operation`` returns (botocore's paginator)."""
    for page in client.get_paginator(operation).paginate(**arguments):
        yield from page.get(key) or []


def said(error: BaseException) -> str:
    """An AWS error as its code and message (``AccessDenied: ...``), else the exception's kind and text."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        return f"{response['Error'].get('Code')}: {response['Error'].get('Message')}"
    return f"{type(error).__name__}: {error}"
