"""The shapes of the API's request bodies and answers, in Backstage's field names.

Request models are what the routes validate bodies against (a wrong shape is a 400 naming the field);
answer models only document, since entities are passed through as stored. Extra fields in requests are
allowed, as Backstage's routers allow them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: An entity reference as the API accepts it: ``[kind:][namespace/]name``.
ENTITY_REF = r"^(?:[^:/]+:)?(?:[^:/]+/)?[^:/]+$"
#: A whole entity reference: ``kind:[namespace/]name``.
FULL_ENTITY_REF = r"^[^:/]+:(?:[^:/]+/)?[^:/]+$"
#: ``type:target``, e.g. ``url:https://github.com/org/repo/blob/main/catalog-info.yaml``.
LOCATION_REF = r"^[^:]+:.+$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ErrorInfo(BaseModel):
    name: str = Field(description="Backstage's error name: InputError, NotAllowedError, NotFoundError, ...")
    message: str


class RequestInfo(BaseModel):
    method: str
    url: str


class ResponseInfo(BaseModel):
    statusCode: int  # noqa: N815 - Backstage's field names


class ErrorBody(BaseModel):
    """Backstage's error body, on every 4xx and 5xx."""

    error: ErrorInfo
    request: RequestInfo
    response: ResponseInfo


class RefreshRequest(_Body):
    entityRef: str = Field(pattern=FULL_ENTITY_REF, description="The entity to read again from its location.")  # noqa: N815
    authorizationToken: str | None = None  # noqa: N815


class ByRefsRequest(_Body):
    entityRefs: list[Annotated[str, Field(pattern=FULL_ENTITY_REF)]] = Field(  # noqa: N815
        max_length=10_000, description="Refs to look up (kind:namespace/name), answered in the same order."
    )
    fields: list[str] | None = Field(None, max_length=100)
    query: dict[str, Any] | None = Field(None, description="A filter predicate the entities must match as well.")


PREDICATE = (
    'Backstage\'s filter predicate: {"kind": "component", "spec.type": {"$in": ["service"]}}, '
    "with $all, $any, $not, $exists, $in and $hasPrefix."
)


class OrderBy(_Body):
    field: str = Field(min_length=1)
    order: Literal["asc", "desc"] = "asc"


class FullTextFilter(_Body):
    term: str = ""
    fields: list[str] | None = Field(None, max_length=100)


class QueryByPredicateRequest(_Body):
    """``POST /entities/by-query``: a first page (``query`` and the rest), or a following one (``cursor``)."""

    query: dict[str, Any] | None = Field(None, description=PREDICATE)
    cursor: str | None = Field(None, description="pageInfo.nextCursor or prevCursor of a page.")
    limit: int | None = Field(None, ge=0)
    offset: int | None = Field(None, ge=0)
    orderBy: list[OrderBy] | None = Field(None, max_length=10)  # noqa: N815
    fullTextFilter: FullTextFilter | None = None  # noqa: N815
    fields: list[str] | None = Field(None, max_length=100)
    totalItems: Literal["include", "exclude"] | None = None  # noqa: N815


class FacetsByPredicateRequest(_Body):
    facets: list[str] = Field(min_length=1, max_length=50, description="e.g. kind, spec.type")
    query: dict[str, Any] | None = Field(None, description=PREDICATE)


class ValidateEntityRequest(_Body):
    entity: Any = Field(description="The entity to check, exactly as a descriptor file would hold it.")
    location: str = Field(pattern=LOCATION_REF, description="Where it would be read from, as a location ref.")


class LocationSpec(_Body):
    type: str = Field(min_length=1, description="Location type, e.g. url.")
    target: str = Field(min_length=1, description="The URL (or path) of the descriptor file or repository.")


class AddLocationRequest(LocationSpec):
    presence: str | None = Field(None, pattern=r"^(required|optional)$")


class LocationQueryRequest(_Body):
    """``POST /locations/by-query``: a first page (``query``, ``limit``), or a following one (``cursor``)."""

    query: dict[str, Any] | None = Field(
        None, description='A filter predicate over id, type, target and entityRef, e.g. {"type": "url"}.'
    )
    limit: int | None = Field(None, strict=True, description="Locations per page (1000 by default).")
    cursor: str | None = Field(None, strict=True, description="pageInfo.nextCursor of the page before.")


class LocationPage(BaseModel):
    items: list[dict[str, str]]
    totalItems: int  # noqa: N815 - Backstage's field names
    pageInfo: dict[str, str]  # noqa: N815 - nextCursor, left out on the last page


class AnalyzeLocationRequest(_Body):
    location: LocationSpec
    catalogFilename: str | None = Field(None, description="Descriptor file name; catalog-info.yaml by default.")  # noqa: N815


class CreateTaskRequest(_Body):
    templateRef: str = Field(pattern=ENTITY_REF, description="The template, e.g. template:default/new-service.")  # noqa: N815
    values: dict[str, Any] = Field(default_factory=dict, description="Answers to the template's parameters.")
    secrets: dict[str, str] | None = None


class DirectoryFile(_Body):
    path: str
    base64Content: str  # noqa: N815
    executable: bool | None = None


class DryRunRequest(_Body):
    template: dict[str, Any] = Field(description="A Template entity (scaffolder.backstage.io/v1beta3).")
    values: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] | None = None
    directoryContents: list[DirectoryFile] = Field(default_factory=list)  # noqa: N815


class PageInfo(BaseModel):
    nextCursor: str | None = None  # noqa: N815
    prevCursor: str | None = None  # noqa: N815


class EntityPage(BaseModel):
    items: list[dict[str, Any]]
    totalItems: int  # noqa: N815
    pageInfo: PageInfo  # noqa: N815


class EntityList(BaseModel):
    items: list[dict[str, Any] | None]


class FacetCount(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    facets: dict[str, list[FacetCount]]
