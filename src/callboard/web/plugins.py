"""Plugin routes in the web app: APIs under ``/api/<plugin>/``, pages under ``/<plugin>/``, static files.

Every plugin route is behind the same identity middleware as Callboard's own; only the paths a plugin
declares in ``PluginRoutes.public`` are served without sign-in (and the route inventory test lists them).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from callboard.plugins.backend import PluginRoutes


def mount_plugin_routes(app: FastAPI, routes: Mapping[str, PluginRoutes]) -> None:
    for plugin, declared in routes.items():
        if declared.api is not None:
            app.include_router(declared.api, prefix=f"/api/{plugin}", tags=[f"plugin: {plugin}"])
        if declared.static is not None:
            app.mount(f"/{plugin}/static", StaticFiles(directory=declared.static), name=f"{plugin}-static")
        if declared.pages is not None:
            app.include_router(declared.pages, prefix=f"/{plugin}", include_in_schema=False)


def plugin_templates(routes: Mapping[str, PluginRoutes]) -> dict[str, str]:
    """Each plugin's template folder, by plugin id (templates are named ``<plugin>/<file>``)."""
    return {plugin: str(declared.templates) for plugin, declared in routes.items() if declared.templates}
