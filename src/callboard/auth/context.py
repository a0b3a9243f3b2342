"""Who is asking, for the call being handled: set by the web middleware for a request, and by background
work for the identity that started it (a scaffolder task runs as its creator)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from callboard.auth.policy import Access
from callboard.core.errors import AuthenticationError
from callboard.core.identity import Identity

_current: contextvars.ContextVar[Access | None] = contextvars.ContextVar("callboard_access", default=None)


def current_access() -> Access:
    """The caller of the call being handled; outside one it is an error, never a silent anonymous."""
    found = _current.get()
    if found is None:
        raise AuthenticationError("No identity for this call")
    return found


def current_identity() -> Identity | None:
    found = _current.get()
    return found.identity if found is not None else None


def set_access(access: Access) -> contextvars.Token[Access | None]:
    return _current.set(access)


def reset_access(token: contextvars.Token[Access | None]) -> None:
    _current.reset(token)


@contextmanager
def acting_as(access: Access) -> Iterator[Access]:
    """Run a block as ``access`` (background work on behalf of the user who started it)."""
    token = _current.set(access)
    try:
        yield access
    finally:
        _current.reset(token)
