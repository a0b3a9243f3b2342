"""A plain landing page until the portal's pages arrive: what is in the catalog, and where the API is."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from callboard.catalog.service import CatalogService

_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:3rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.6rem}table{border-collapse:collapse}td,th{padding:.25rem 1rem;border-bottom:1px solid #dde}
a{color:#2457c5}.muted{color:#667}
@media (prefers-color-scheme:dark){body{background:#14171f;color:#e6e8ee}a{color:#8fb1ff}td,th{border-color:#333}}
"""


def home_router(catalog: CatalogService, title: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def home() -> str:
        kinds = catalog.facets(["kind"], ())["kind"]
        status = catalog.status()
        rows = "".join(
            f'<tr><td><a href="/api/catalog/entities?filter=kind={escape(k["value"].lower())}">'
            f"{escape(k['value'])}</a></td><td>{k['count']}</td></tr>"
            for k in kinds
        )
        pending = f"{status['pending']} items waiting to be processed" if status["pending"] else "up to date"
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{escape(title)}</h1>
<p class="muted">Catalog: {escape(pending)}.</p>
<table><thead><tr><th>Kind</th><th>Entities</th></tr></thead><tbody>{rows}</tbody></table>
<p>The catalog API is Backstage's: <a href="/api/catalog/entities?limit=20">/api/catalog/entities</a>,
<a href="/api/catalog/entity-facets?facet=kind">facets</a>, <a href="/api/openapi.json">OpenAPI document</a>.</p>
</body></html>"""

    return router
