"""Typed settings built from ``app-config.yaml``: what Callboard reads, validated at start-up.

Keys follow Backstage's structure (``app``, ``backend``, ``catalog``, ...) so an adopter's config mostly carries
over; keys Callboard does not use are kept and ignored. An error names the key path and the file it came from,
and never shows a secret value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ByteSize, ConfigDict, Field, ValidationError

from callboard.config_loader import ConfigError, LoadedConfig, load_config
from callboard.core.limits import DescriptorLimits, RenderLimits, RequestLimits

_REQUEST, _DESCRIPTOR, _RENDER = RequestLimits(), DescriptorLimits(), RenderLimits()


SectionModel = TypeVar("SectionModel", bound=BaseModel)


class _Section(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class AppSettings(_Section):
    title: str = Field("Callboard", description="Name shown in the portal's header and page titles.")
    base_url: str = Field("http://localhost:7007", alias="baseUrl", description="Public URL of the portal.")


class ListenSettings(_Section):
    host: str = Field("127.0.0.1", description="Address to listen on; 0.0.0.0 for every interface.")
    port: int = Field(7007, ge=0, le=65535, description="TCP port to listen on.")


class RequestBodySettings(_Section):
    """Largest request body per route family, in bytes or with a unit ("1MiB", "5 MB")."""

    api: ByteSize = Field(ByteSize(_REQUEST.api_body_bytes), description="Every API route and page form not below.")
    validate_: ByteSize = Field(
        ByteSize(_REQUEST.validate_body_bytes),
        alias="validate",
        description="validate-entity, analyze-location and the scaffolder's dry-run (whole files and templates).",
    )
    proxy: ByteSize = Field(ByteSize(_REQUEST.proxy_body_bytes), description="Bodies sent through /api/proxy.")


class QueryLimitSettings(_Section):
    max_filters: int = Field(
        _REQUEST.max_filters,
        alias="maxFilters",
        ge=1,
        le=100,
        description="filter parameters in one catalog request (alternatives).",
    )
    max_conditions: int = Field(
        _REQUEST.max_conditions,
        alias="maxConditions",
        ge=1,
        le=100,
        description="Comma-separated conditions in one filter parameter.",
    )
    max_filter_length: int = Field(
        _REQUEST.max_filter_length, alias="maxFilterLength", ge=16, description="Characters in one filter parameter."
    )
    max_limit: int = Field(
        _REQUEST.max_limit, alias="maxLimit", ge=1, description="Largest page size a caller may ask for (limit)."
    )


class BackendLimitSettings(_Section):
    request_body: RequestBodySettings = Field(default_factory=RequestBodySettings, alias="requestBody")  # type: ignore[arg-type]
    query: QueryLimitSettings = Field(default_factory=QueryLimitSettings)  # type: ignore[arg-type]

    def request_limits(self) -> RequestLimits:
        return RequestLimits(
            api_body_bytes=int(self.request_body.api),
            validate_body_bytes=int(self.request_body.validate_),
            proxy_body_bytes=int(self.request_body.proxy),
            max_filters=self.query.max_filters,
            max_conditions=self.query.max_conditions,
            max_filter_length=self.query.max_filter_length,
            max_limit=self.query.max_limit,
        )


class BackendSettings(_Section):
    base_url: str = Field("http://localhost:7007", alias="baseUrl", description="URL the backend is reached at.")
    listen: ListenSettings = Field(default_factory=ListenSettings)  # type: ignore[arg-type]
    database: dict[str, Any] = Field(
        default_factory=dict,
        description="Database connection: a URL string under 'connection', or Backstage's client/connection form.",
    )
    reading: dict[str, Any] = Field(default_factory=dict, description="reading.allow: [{host, paths?}] for URL reads.")
    auth: dict[str, Any] = Field(
        default_factory=dict, description="externalAccess: [{type: static, options: {token, subject}}] for scripts."
    )
    limits: BackendLimitSettings = Field(default_factory=BackendLimitSettings)
    csp: dict[str, list[str] | bool] = Field(
        default_factory=dict,
        description="Changes to the pages' content policy, as Backstage's backend.csp: a directive's sources "
        "(replacing the portal's), or false to drop it; e.g. img-src for profile pictures on another host.",
    )


class KindRelationSettings(_Section):
    field: str = Field(description="Spec field holding entity references, e.g. spec.environment.")
    type: str = Field(description="Relation type on this entity, e.g. deployedTo.")
    reverse: str | None = Field(None, description="Relation type on the target; built-in types know theirs.")
    default_kind: str | None = Field(None, alias="defaultKind", description="Kind assumed when a ref omits it.")


class KindSettings(_Section):
    kind: str = Field(description="The kind name, as written in descriptors (e.g. Environment).")
    api_versions: list[str] = Field(alias="apiVersions", min_length=1, description="apiVersions this kind accepts.")
    spec_schema: dict[str, Any] | None = Field(
        None,
        alias="schema",
        description="JSON Schema (draft-07) for the entity's spec; $include a file for long ones.",
    )
    relations: list[KindRelationSettings] = Field(default_factory=list)
    description: str = ""


class LocationRuleSettings(_Section):
    allow: list[str] = Field(description="Kinds allowed from the matching locations.")
    locations: list[dict[str, str]] | None = None


class LocationSettings(_Section):
    type: str = Field(description="Location type: file or url.")
    target: str = Field(description="Path or URL of a descriptor file.")
    rules: list[LocationRuleSettings] | None = None


class ProcessingSettings(_Section):
    """How the processing loop works through the catalog (Callboard only)."""

    batch_size: int = Field(1000, alias="batchSize", ge=1, description="Items claimed and written per transaction.")
    lease_seconds: float = Field(
        120.0, alias="leaseSeconds", gt=0, description="How long a claim lasts; a dead worker's items wait this long."
    )


class DescriptorLimitSettings(_Section):
    """What one descriptor file may hold; a file over a limit is refused with an error on its location."""

    file_bytes: ByteSize = Field(ByteSize(_DESCRIPTOR.file_bytes), alias="fileBytes", description="Size of one file.")
    documents_per_file: int = Field(
        _DESCRIPTOR.documents_per_file, alias="documentsPerFile", ge=1, description="YAML documents in one file."
    )
    expanded_nodes: int = Field(
        _DESCRIPTOR.expanded_nodes,
        alias="expandedNodes",
        ge=1000,
        description="Values in one file once YAML aliases are expanded; refuses alias bombs before they are built.",
    )
    depth: int = Field(_DESCRIPTOR.depth, ge=10, le=1000, description="Nesting depth of one document.")

    def descriptor_limits(self) -> DescriptorLimits:
        return DescriptorLimits(int(self.file_bytes), self.documents_per_file, self.expanded_nodes, self.depth)


class CatalogImportSettings(_Section):
    """The Register page (Backstage's catalog-import plugin keeps its settings under the same key)."""

    example_urls: list[str] = Field(
        default_factory=list,
        alias="exampleUrls",
        description="URLs the Register page offers to try (a sample repository of your organisation, say).",
    )


class CatalogSettings(_Section):
    locations: list[LocationSettings] = Field(default_factory=list)
    import_: CatalogImportSettings = Field(default_factory=CatalogImportSettings, alias="import")
    rules: list[LocationRuleSettings] | None = Field(
        None, description="Allowed kinds; without it only Component, API and Location (Backstage's default)."
    )
    kinds: list[KindSettings] = Field(default_factory=list, description="Kinds added without code.")
    orphan_strategy: Literal["keep", "delete"] = Field("delete", alias="orphanStrategy")
    readonly: bool = False
    processing_interval: dict[str, float] | None = Field(
        None, alias="processingInterval", description="How often each entity is re-processed, e.g. {minutes: 2}."
    )
    processing: ProcessingSettings = Field(default_factory=ProcessingSettings)  # type: ignore[arg-type]
    allowed_location_types: list[str] = Field(
        default_factory=lambda: ["url"],
        alias="allowedLocationTypes",
        description="Location types the API may register. Add 'file' only on a trusted, single-user machine.",
    )
    providers: dict[str, Any] = Field(
        default_factory=dict,
        description="Entity providers; providers.discovery.<id> infers entities from repositories.",
    )
    limits: DescriptorLimitSettings = Field(default_factory=DescriptorLimitSettings)  # type: ignore[arg-type]

    def interval_seconds(self) -> tuple[float, float]:
        """Backstage's window: a random interval between the configured value and 1.5 times it."""
        if not self.processing_interval:
            return (100.0, 150.0)
        units = {"milliseconds": 0.001, "seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
        seconds = sum(float(value) * units.get(unit, 0) for unit, value in self.processing_interval.items())
        seconds = max(seconds, 1.0)
        return (seconds, seconds * 1.5)


class RenderLimitSettings(_Section):
    """What one template expression, step input or rendered skeleton file may cost."""

    output_bytes: ByteSize = Field(
        ByteSize(_RENDER.output_bytes), alias="outputBytes", description="Text one rendering may produce."
    )
    render_seconds: float = Field(
        _RENDER.render_seconds, alias="renderSeconds", gt=0, le=600, description="Time one rendering may take."
    )
    loop_iterations: int = Field(
        _RENDER.loop_iterations, alias="loopIterations", ge=100, description="Loop turns in one rendering, all loops."
    )

    def render_limits(self) -> RenderLimits:
        return RenderLimits(int(self.output_bytes), self.render_seconds, self.loop_iterations)


class ScaffolderSettings(_Section):
    limits: RenderLimitSettings = Field(default_factory=RenderLimitSettings)  # type: ignore[arg-type]
    allow_local_git_remotes: bool = Field(
        False,
        alias="allowLocalGitRemotes",
        description="Let publish:git push to repositories on the server's own disk (a single-user machine only).",
    )


class Settings(_Section):
    """Everything Callboard reads from app-config, with Backstage's key names."""

    app: AppSettings = Field(default_factory=AppSettings)  # type: ignore[arg-type]
    backend: BackendSettings = Field(default_factory=BackendSettings)  # type: ignore[arg-type]
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)  # type: ignore[arg-type]
    integrations: dict[str, Any] = Field(
        default_factory=dict, description="SCM integrations, e.g. github: [{host, token}]."
    )
    auth: dict[str, Any] = Field(
        default_factory=dict, description="Sign-in: environment, providers (oidc, github, guest), session."
    )
    permission: dict[str, Any] = Field(
        default_factory=dict, description="The permission policy: defaultDecision and ordered rules."
    )
    proxy: dict[str, Any] = Field(default_factory=dict, description="proxy.endpoints, in Backstage's format.")
    scaffolder: ScaffolderSettings = Field(default_factory=ScaffolderSettings)  # type: ignore[arg-type]
    search: dict[str, Any] = Field(
        default_factory=dict, description="Search; passed to a plugin's search_engine hook (the built-in needs none)."
    )
    plugins: dict[str, Any] = Field(
        default_factory=dict, description="Settings of installed plugins, one key per plugin id (Callboard only)."
    )
    data_dir: str = Field(
        "data", alias="dataDir", description="Folder for the SQLite database and other local state (Callboard only)."
    )

    loaded: LoadedConfig | None = Field(None, exclude=True)

    def origin(self, path: tuple[str, ...]) -> str:
        """Where a key was set ("app-config.local.yaml:12"), for messages that say which file to fix."""
        return self.loaded.origin(path) if self.loaded else "app-config"

    def section(self, model: type[SectionModel], data: dict[str, Any], path: tuple[str, ...]) -> SectionModel:
        """A config section validated by its own model; errors name the key and the file, never a secret value."""
        try:
            return model.model_validate(data)
        except ValidationError as error:
            problems = []
            for problem in error.errors():
                key = ".".join((*path, *(str(part) for part in problem["loc"])))
                problems.append(f"{self.origin(path)}: {key}: {problem['msg']}")
            raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None

    model_config = ConfigDict(extra="allow", populate_by_name=True, arbitrary_types_allowed=True)


def settings_from(loaded: LoadedConfig) -> Settings:
    """Validate loaded configuration into :class:`Settings`, or raise :class:`ConfigError` naming key and file."""
    try:
        settings = Settings.model_validate(loaded.data)
    except ValidationError as error:
        raise ConfigError(_describe(error, loaded)) from None
    settings.loaded = loaded
    return settings


def load_settings(
    files: Sequence[Path] | None = None, *, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    return settings_from(load_config(files, cwd=cwd, environ=environ))


def _describe(error: ValidationError, loaded: LoadedConfig) -> str:
    lines = []
    for problem in error.errors():
        path = tuple(problem["loc"])
        key = ".".join(str(part) for part in path)
        value = "" if loaded.is_secret(path) or problem["type"] == "missing" else f" (got {problem['input']!r})"
        lines.append(f"{loaded.origin(path)}: {key}: {problem['msg']}{value}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


__all__ = ["ConfigError", "Settings", "load_settings", "settings_from"]
