"""Callboard: an internal developer portal that speaks Backstage's formats and APIs."""

import pluggy

__version__ = "0.1.0"

#: Decorator plugin authors put on their hook implementations.
hookimpl = pluggy.HookimplMarker("callboard")

__all__ = ["__version__", "hookimpl"]
