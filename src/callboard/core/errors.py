"""Errors shared by every feature, named as Backstage names them so the API error body matches."""

from __future__ import annotations


class CallboardError(Exception):
    """Base of the errors that map to an HTTP status and Backstage's error body."""

    name = "Error"
    status = 500

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        full = message
        if cause is not None:
            full = f"{message}; caused by {describe_error(cause)}"
        super().__init__(full)
        self.message = full
        self.cause = cause


class InputError(CallboardError):
    name = "InputError"
    status = 400


class AuthenticationError(CallboardError):
    name = "AuthenticationError"
    status = 401


class NotAllowedError(CallboardError):
    name = "NotAllowedError"
    status = 403


class NotFoundError(CallboardError):
    name = "NotFoundError"
    status = 404


class ConflictError(CallboardError):
    name = "ConflictError"
    status = 409


def describe_error(error: BaseException) -> str:
    """``Name: message`` as JavaScript prints an Error, which Backstage's messages embed."""
    name = getattr(error, "js_name", None) or getattr(error, "name", None)
    if not isinstance(name, str):
        name = "Error"
    message = getattr(error, "message", None)
    if not isinstance(message, str):
        message = str(error)
    return f"{name}: {message}"


def error_named(name: str, message: str) -> CallboardError:
    """The error class Backstage gives ``name`` (so the API answers with its status); InputError otherwise."""
    classes: dict[str, type[CallboardError]] = {
        "NotAllowedError": NotAllowedError,
        "NotFoundError": NotFoundError,
        "ConflictError": ConflictError,
        "AuthenticationError": AuthenticationError,
    }
    return classes.get(name, InputError)(message)
