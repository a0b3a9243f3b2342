"""The catalog table (``/catalog``, and ``/apis`` for APIs): kind tabs, facet filters with counts, sort, pages.

Everything is in the URL, so a view can be shared; htmx swaps only the results when a filter changes, and
every link and form still works without script.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from callboard.catalog.api import SecuredCatalog
from callboard.people.api import Marks
from callboard.web.auth import identity_of
from callboard.web.ui.rendering import Pages


@dataclass(frozen=True)
class Facet:
    param: str  # query parameter
    key: str  # filter key in the catalog's index
    label: str


FACETS = (
    Facet("type", "spec.type", "Type"),
    Facet("owner", "relations.ownedby", "Owner"),
    Facet("lifecycle", "spec.lifecycle", "Lifecycle"),
    Facet("tag", "metadata.tags", "Tags"),
    Facet("namespace", "metadata.namespace", "Namespace"),
)

#: Sortable columns: query value → (index key, heading).
SORTS = {
    "name": "metadata.name",
    "system": "spec.system",
    "owner": "spec.owner",
    "type": "spec.type",
    "lifecycle": "spec.lifecycle",
    "title": "metadata.title",
}

#: Table columns per kind (Backstage's defaults per kind); the first is always the name.
COLUMNS = {
    "component": ("name", "system", "owner", "type", "lifecycle", "description", "tags"),
    "api": ("name", "system", "owner", "type", "lifecycle", "description", "tags"),
    "resource": ("name", "system", "owner", "type", "lifecycle", "description", "tags"),
    "system": ("name", "domain", "owner", "description", "tags"),
    "domain": ("name", "owner", "description", "tags"),
    "group": ("name", "title", "type", "description"),
    "user": ("name", "email", "groups"),
    "location": ("name", "type", "targets"),
    "template": ("name", "owner", "type", "description", "tags"),
}
DEFAULT_COLUMNS = ("name", "owner", "type", "description", "tags")
#: Columns shown until the person chooses (``cols`` in the URL); the description sits under the name.
SHOWN = {
    "component": ("name", "description", "system", "owner", "type", "lifecycle"),
    "api": ("name", "description", "system", "owner", "type", "lifecycle"),
    "resource": ("name", "description", "system", "owner", "type", "lifecycle"),
    "system": ("name", "description", "domain", "owner"),
    "domain": ("name", "description", "owner"),
    "group": ("name", "description", "type"),
    "user": ("name", "email", "groups"),
    "location": ("name", "type", "targets"),
    "template": ("name", "description", "owner", "type"),
}
DEFAULT_SHOWN = ("name", "description", "owner", "type")
COLUMNS["user"] = ("name", "email", "groups", "description")
PAGE_SIZES = (25, 50, 100)
#: An owner filter value no entity has: "owned by me" for someone who owns through nobody shows nothing.
NO_OWNER = "-"


def shown_columns(kind: str, chosen: list[str]) -> tuple[str, ...]:
    """The columns to draw, in the kind's order: those chosen (the name always), else the kind's defaults."""
    available = COLUMNS.get(kind.lower(), DEFAULT_COLUMNS)
    wanted = set(chosen) & set(available) or set(SHOWN.get(kind.lower(), DEFAULT_SHOWN))
    return tuple(column for column in available if column in wanted or column == "name")


def catalog_view(
    catalog: SecuredCatalog,
    *,
    kind: str,
    chosen: dict[str, list[str]],
    text: str,
    sort: str,
    descending: bool,
    page: int,
    per_page: int,
    owned_by: list[str] | None = None,
    columns: list[str] | None = None,
) -> dict[str, Any]:
    """Everything the catalog page shows: one page of entities, the total, and counts per facet value.

    ``columns`` are the ones the person chose (``cols``), else the kind's defaults.
    ``owned_by`` ("owned by me": the person and their groups) narrows the owner filter to those owners.
    """
    filters = {"kind": [kind], **{facet.key: chosen[facet.param] for facet in FACETS if chosen.get(facet.param)}}
    if owned_by is not None:
        mine = sorted({ref.lower() for ref in owned_by})
        ticked = chosen.get("owner")
        # Owners ticked in the filter narrow the person's own; a ticked owner that is not theirs matches nothing.
        owners = [ref for ref in ticked if ref.lower() in mine] if ticked else mine
        filters["relations.ownedby"] = owners or [NO_OWNER]
    result = catalog.browse(
        filters,
        text=text.strip(),
        sort=SORTS.get(sort, "metadata.name"),
        descending=descending,
        offset=(page - 1) * per_page,
        limit=per_page,
        facets=[facet.key for facet in FACETS],
    )
    if not result.total and text.strip():
        # Nothing matches the words: the filters still show what the other choices hold, so one can be changed.
        result.facets = catalog.browse(filters, limit=0, facets=[facet.key for facet in FACETS]).facets
    facets = []
    # Owners are entity refs: those the viewer may not read are not named, in the facet or in the table.
    owners = [str(value).lower() for value, _ in result.facets.get("relations.ownedby", [])]
    hidden = catalog.hidden_refs(owners)
    for facet in FACETS:
        counts = [(v, n) for v, n in result.facets.get(facet.key, []) if str(v).lower() not in hidden]
        selected = {value.lower() for value in chosen.get(facet.param) or []}
        values = [{"value": value, "count": count, "selected": value.lower() in selected} for value, count in counts]
        # A chosen value with nothing left under the other filters stays listed, so it can be unticked.
        listed = {str(item["value"]).lower() for item in values}
        values += [
            {"value": v, "count": 0, "selected": True} for v in chosen.get(facet.param) or [] if v.lower() not in listed
        ]
        if values:
            facets.append({"facet": facet, "values": values})
    total = result.total
    return {
        "kind": kind,
        "entities": catalog.without_hidden_relations(result.items),
        "total": total,
        "page": page,
        "pages": max(1, -(-total // per_page)),
        "per_page": per_page,
        "first": (page - 1) * per_page + 1 if total else 0,
        "last": min(total, page * per_page),
        "facets": facets,
        "kinds": [{"value": value, "count": count} for value, count in result.kinds],
        "columns": [column for column in shown_columns(kind, columns or []) if column != "description"],
        "described": "description" in shown_columns(kind, columns or []),
        "available_columns": COLUMNS.get(kind.lower(), DEFAULT_COLUMNS),
        "shown_columns": shown_columns(kind, columns or []),
        "sortable": set(SORTS),
        "filtered": bool(chosen or text.strip() or owned_by is not None),
    }


def catalog_router(catalog: SecuredCatalog, pages: Pages, marks: Marks | None = None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def starred(request: Request) -> set[str] | None:
        """The person's starred refs, for the rows' star buttons; None where nobody can star (a service)."""
        identity = identity_of(request)
        if marks is None or identity.type != "user":
            return None
        return set(marks.starred(identity.subject))

    def render(request: Request, kind: str, base: str, **values: Any) -> HTMLResponse:
        chosen = {facet.param: values[facet.param] for facet in FACETS if values[facet.param]}
        per_page = values["per"] if values["per"] in PAGE_SIZES else PAGE_SIZES[0]
        view = catalog_view(
            catalog,
            kind=kind,
            chosen=chosen,
            text=values["q"],
            sort=values["sort"] if values["sort"] in SORTS else "name",
            descending=values["dir"] == "desc",
            page=max(1, values["page"]),
            per_page=per_page,
            owned_by=list(identity_of(request).ownership) if values["owned"] else None,
            columns=values["cols"],
        )
        params: dict[str, Any] = {"kind": kind.lower(), **chosen, "q": values["q"] or None}
        if values["owned"]:
            params["owned"] = "me"
        if values["cols"]:
            params["cols"] = list(view["shown_columns"])
        if values["sort"] in SORTS and values["sort"] != "name":
            params["sort"] = values["sort"]
        if values["dir"] == "desc":
            params["dir"] = "desc"
        if per_page != PAGE_SIZES[0]:
            params["per"] = per_page
        return pages.render(
            request,
            "catalog.html",
            **view,
            base=base,
            params=params,
            sort=values["sort"] if values["sort"] in SORTS else "name",
            descending=values["dir"] == "desc",
            q=values["q"],
            show_kinds=base == "/catalog",
            page_sizes=PAGE_SIZES,
            starred=starred(request),
            owned=values["owned"],
        )

    @router.get("/catalog", response_class=HTMLResponse)
    def catalog_page(request: Request) -> HTMLResponse:
        return render(request, request.query_params.get("kind") or "component", "/catalog", **_values(request))

    @router.get("/apis", response_class=HTMLResponse)
    def api_explorer(request: Request) -> HTMLResponse:
        return render(request, "api", "/apis", **_values(request))

    return router


def _number(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


def _values(request: Request) -> dict[str, Any]:
    """The page's query parameters; malformed numbers fall back to defaults (a shared link never errors)."""
    params = request.query_params
    values: dict[str, Any] = {facet.param: params.getlist(facet.param) for facet in FACETS}
    values.update(
        q=params.get("q", ""),
        sort=params.get("sort", "name"),
        dir=params.get("dir", "asc"),
        page=_number(params.get("page"), 1),
        per=_number(params.get("per"), PAGE_SIZES[0]),
        owned=params.get("owned") == "me",
        cols=params.getlist("cols"),
    )
    return values
