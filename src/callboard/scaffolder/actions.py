"""What an action is and what it gets: a context with the workspace, logging, outputs and the services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict


class ActionInput(BaseModel):
    """Base of action inputs: unknown keys are refused, so a typo in a template is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class NoOutput(BaseModel):
    pass


class CatalogAccess(Protocol):
    """What actions may do with the catalog (the caller's permissions apply)."""

    def register(self, location_type: str, target: str) -> list[str]:
        """Register a location; the entity refs it holds (read through a dry run)."""

    def entity(self, ref: str) -> Mapping[str, Any] | None: ...


@dataclass
class ActionContext:
    workspace: Path
    base_url: str  # where the template lives: file:/dir/ or https://host/path/
    log: Callable[[str], None]
    catalog: CatalogAccess | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)
    user: Mapping[str, Any] = field(default_factory=dict)
    integrations: Mapping[str, Any] = field(default_factory=dict)
    dry_run: bool = False
    step_id: str = ""
    #: Where ``publish:file`` may write (``<dataDir>/published`` on a server); None: nowhere.
    local_root: Path | None = None
    #: Whether git remotes on the server's own disk are allowed (``scaffolder.allowLocalGitRemotes``).
    allow_local_git: bool = False


@dataclass(frozen=True)
class ScaffolderAction:
    """An action templates call by ``id``. ``run(context, input)`` returns the output model (or None)."""

    id: str
    description: str
    input_model: type[BaseModel]
    run: Callable[[ActionContext, Any], BaseModel | None]
    output_model: type[BaseModel] = NoOutput
    supports_dry_run: bool = False
    examples: tuple[dict[str, Any], ...] = ()

    def schema(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "examples": list(self.examples),
            "schema": {"input": self.input_model.model_json_schema(), "output": self.output_model.model_json_schema()},
        }
