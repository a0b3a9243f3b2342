"""Callboard: an internal developer portal that speaks Backstage's formats and APIs."""

from importlib.metadata import PackageNotFoundError, version

import pluggy

try:
    __version__ = version("callboard")  # set from the git tag when the package is built (hatch-vcs)
except PackageNotFoundError:  # running from a source folder that was never installed
    __version__ = "0.0.0+unknown"

#: Decorator plugin authors put on their hook implementations.
hookimpl = pluggy.HookimplMarker("callboard")

__all__ = ["__version__", "hookimpl"]
