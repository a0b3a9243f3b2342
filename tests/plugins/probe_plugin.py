"""A small backend plugin for Callboard's own tests: an API with one public route, a page, a table, a task,
settings with a secret, and a permission. Written against callboard.sdk only, like any plugin."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from callboard.sdk import (
    PermissionSpec,
    PluginConfig,
    PluginContext,
    PluginRoutes,
    PluginStorage,
    ScheduledTask,
    hookimpl,
)

CALLBOARD_PLUGIN_API = "1.1"
HERE = Path(__file__).parent

metadata = MetaData()
pings = Table("probe_pings", metadata, Column("id", Integer, primary_key=True), Column("note", String(100)))


class Settings(BaseModel):
    greeting: str = "hello"
    retries: int = Field(3, ge=0, le=10)
    api_token: str = Field("", alias="apiToken")


@hookimpl
def register_config() -> PluginConfig:
    return PluginConfig(Settings, secrets=("apiToken",))


@hookimpl
def register_storage() -> PluginStorage:
    return PluginStorage(metadata, HERE / "probe_migrations")


@hookimpl
def register_permissions() -> list[PermissionSpec]:
    return [PermissionSpec("probe.ping.create", "Record a ping", "create")]


@hookimpl
def register_routes(context: PluginContext) -> PluginRoutes:
    api = APIRouter()

    @api.get("/health")
    def health() -> dict[str, str]:
        return {"greeting": context.config.greeting}

    @api.post("/pings")
    def ping(note: str = "") -> dict[str, int]:
        with context.database.transaction() as connection:
            connection.execute(insert(pings).values(note=note))
            return {"count": len(connection.execute(select(pings.c.id)).all())}

    return PluginRoutes(api=api, public=("/health",))


@hookimpl
def register_scheduled_tasks(context: PluginContext) -> list[ScheduledTask]:
    return [ScheduledTask("noop", lambda: None, every_seconds=60)]
