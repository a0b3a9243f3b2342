"""What plugins' commands open: the portal their app-config files describe, in the command's own process."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from callboard.core.errors import NotFoundError
from callboard.plugins.backend import PluginContext, ProviderConnection

if TYPE_CHECKING:
    from callboard.app import Runtime


class _Session:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def context(self, plugin_id: str) -> PluginContext:
        try:
            return self._runtime.backend.contexts[plugin_id]
        except KeyError:
            raise NotFoundError(f"no plugin {plugin_id!r} is installed") from None

    def provider(self, plugin_id: str, provider_id: str) -> ProviderConnection:
        try:
            return self._runtime.backend.connections[(plugin_id, provider_id)]
        except KeyError:
            raise NotFoundError(f"plugin {plugin_id!r} has no entity provider {provider_id!r}") from None


class CommandPortal:
    def __init__(self, runtime_for: Callable[[list[Path] | None], Runtime]) -> None:
        self._runtime_for = runtime_for

    @contextmanager
    def open(self, config: Sequence[Path] | None = None) -> Iterator[_Session]:
        runtime = self._runtime_for(list(config) if config else None)
        try:
            yield _Session(runtime)
        finally:
            runtime.close()
