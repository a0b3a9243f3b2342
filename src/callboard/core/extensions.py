"""The small declarative objects plugins hand to Callboard through registration hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class KindRelation:
    """A spec field of a kind whose entity references become relations (``field`` like ``spec.environment``)."""

    field: str
    type: str
    reverse: str | None = None
    default_kind: str | None = None


@dataclass(frozen=True)
class KindDefinition:
    """A kind added without code: its name, accepted apiVersions, the JSON Schema of ``spec`` and relations."""

    kind: str
    api_versions: Sequence[str]
    spec_schema: Mapping[str, Any] | None = None
    relations: Sequence[KindRelation] = field(default_factory=tuple)
    description: str = ""


@dataclass(frozen=True)
class PlaceholderResolverSpec:
    """A ``$<key>`` placeholder: ``resolve(value, read)`` returns the value that replaces the placeholder.

    ``read(target)`` reads a file or URL relative to the descriptor (through the same safety checks as
    ``$text``) and returns its text.
    """

    key: str
    resolve: Callable[[Any, Callable[[str], str]], Any]


# -- the portal's pages -----------------------------------------------------------------------------------


class CatalogReader(Protocol):
    """Read access to the catalog for cards and tabs; every method returns final (stitched) entities."""

    def entity(self, ref: str) -> Mapping[str, Any] | None:
        """The entity with this ref (``kind:namespace/name``, any case), or None."""

    def entities(self, refs: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """The entities that exist among ``refs``, keyed by their lower-case ref."""

    def find(self, filters: Mapping[str, str | Sequence[str]], *, limit: int = 100) -> list[Mapping[str, Any]]:
        """Entities matching every ``key: value`` (a list means any of the values), ordered by name."""

    def count(self, filters: Mapping[str, str | Sequence[str]]) -> int:
        """How many entities match, as ``find`` filters them."""

    def counts(self, key: str, filters: Mapping[str, str | Sequence[str]]) -> list[tuple[str, int]]:
        """The values of ``key`` among matching entities, each with how many have it, most frequent first."""

    def parents(self, ref: str) -> list[str]:
        """Refs of the entities (usually Locations) whose processing emitted this one."""


@dataclass(frozen=True)
class EntityContext:
    """What a card or tab gets to build its template context: the entity, its ref and the catalog."""

    entity: Mapping[str, Any]
    ref: str
    catalog: CatalogReader
    params: Mapping[str, str] = field(default_factory=dict)
    #: Callboard's services a card may use, by name (``techdocs``); plugins get the same ones.
    services: Mapping[str, Any] = field(default_factory=dict)


def _always(entity: Mapping[str, Any]) -> bool:
    return True


def _no_context(context: EntityContext) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class EntityCard:
    """A card on an entity's Overview tab.

    ``template`` is a Jinja2 template name, looked up in ``template_dir`` (when given) and then in Callboard's
    templates; it receives ``entity``, ``ref`` and whatever ``context`` returns. ``lazy`` cards load after
    the page through htmx, so a slow card (a third-party API) never delays the page.
    """

    id: str
    title: str
    template: str
    area: Literal["main", "side", "full"] = "main"  # "full": the page's whole width, below the columns (1.7)
    weight: int = 100
    applies_to: Callable[[Mapping[str, Any]], bool] = _always
    context: Callable[[EntityContext], Mapping[str, Any]] = _no_context
    lazy: bool = False
    template_dir: str | None = None


@dataclass(frozen=True)
class EntityTab:
    """A tab of an entity page at ``/catalog/<namespace>/<kind>/<name>/<id>`` (rendered like a card).

    A ``lazy`` tab's page is served at once and its body loads after it (plugin API 1.6), like a lazy card.
    """

    id: str
    title: str
    template: str
    weight: int = 100
    applies_to: Callable[[Mapping[str, Any]], bool] = _always
    context: Callable[[EntityContext], Mapping[str, Any]] = _no_context
    template_dir: str | None = None
    lazy: bool = False


@dataclass(frozen=True)
class HomeContext:
    """What a home page card gets (plugin API 1.7): who is looking, what they own, and the catalog.

    ``owned`` holds the lower-case refs of the entities the person owns, directly or through their groups (and
    those groups' parents), at most the first 500 by name; ``catalog`` reads as that person may.
    """

    user: str  # the person's ref, user:default/ada
    display_name: str
    owned: Sequence[str]
    catalog: CatalogReader
    services: Mapping[str, Any] = field(default_factory=dict)


def _no_home_context(context: HomeContext) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class HomeCard:
    """A card on the home page (plugin API 1.7), after the portal's own (your entities, starred, visited, tasks).

    ``template`` receives ``home`` (the ``HomeContext``) and whatever ``context`` returns. Home cards load after
    the page (``lazy``, the default), so a card that calls another service never delays the page.
    """

    id: str
    title: str
    template: str
    weight: int = 100
    context: Callable[[HomeContext], Mapping[str, Any]] = _no_home_context
    template_dir: str | None = None
    lazy: bool = True


@dataclass(frozen=True)
class NavItem:
    """An entry of the sidebar; ``weight`` orders entries (Catalog is 10, APIs 20)."""

    title: str
    href: str
    weight: int = 100
    icon: str = "dot"
