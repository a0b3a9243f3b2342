"""The built-in cards and tabs of entity pages, registered through the same hooks plugins use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from callboard.builtins.definitions import definition_context
from callboard.builtins.graph import FORWARD_TYPES, relation_graph
from callboard.builtins.source import inspect_context
from callboard.sdk import (
    API_CONSUMED_BY,
    API_PROVIDED_BY,
    CHILD_OF,
    CONSUMES_API,
    DEPENDS_ON,
    HAS_MEMBER,
    HAS_PART,
    MEMBER_OF,
    PARENT_OF,
    PART_OF,
    PROVIDES_API,
    EntityCard,
    EntityContext,
    EntityRef,
    EntityTab,
    NavItem,
    hookimpl,
    relation_targets,
)

CALLBOARD_PLUGIN_API = "1.0"

ORPHAN = "backstage.io/orphan"


def _kind_is(*kinds: str) -> Any:
    wanted = {kind.lower() for kind in kinds}

    def applies(entity: Mapping[str, Any]) -> bool:
        return str(entity.get("kind", "")).lower() in wanted

    return applies


def _sorted_entities(entities: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(entities, key=lambda e: (str(e.get("kind")), str(e["metadata"].get("name"))))


# -- Overview cards -----------------------------------------------------------------------------------------


def _has_problems(entity: Mapping[str, Any]) -> bool:
    annotations = entity.get("metadata", {}).get("annotations") or {}
    return bool((entity.get("status") or {}).get("items")) or annotations.get(ORPHAN) == "true"


def problems_context(context: EntityContext) -> Mapping[str, Any]:
    annotations = context.entity.get("metadata", {}).get("annotations") or {}
    return {
        "items": (context.entity.get("status") or {}).get("items") or [],
        "orphan": annotations.get(ORPHAN) == "true",
        "parents": context.catalog.parents(context.ref),
    }


def about_context(context: EntityContext) -> Mapping[str, Any]:
    entity = context.entity
    spec = entity.get("spec") or {}
    return {
        "owners": relation_targets(entity, "ownedBy"),
        "systems": relation_targets(entity, PART_OF, "system"),
        "domains": relation_targets(entity, PART_OF, "domain"),
        "parents": relation_targets(entity, CHILD_OF) + relation_targets(entity, PART_OF, "component"),
        "spec": spec if isinstance(spec, dict) else {},
    }


def relations_context(context: EntityContext) -> Mapping[str, Any]:
    """Each relation type with its targets, named by their titles (a ref the catalog lacks stays a ref)."""
    grouped: dict[str, list[str]] = {}
    for relation in context.entity.get("relations") or []:
        grouped.setdefault(str(relation.get("type")), []).append(str(relation.get("targetRef", "")).lower())
    found = context.catalog.entities([ref for refs in grouped.values() for ref in refs])
    return {"grouped": dict(sorted(grouped.items())), "found": found}


#: How far up the group tree the Members card looks (an organisation is rarely deeper).
TREE_DEPTH = 8


def members_context(context: EntityContext) -> Mapping[str, Any]:
    found = context.catalog.entities(
        relation_targets(context.entity, HAS_MEMBER) + relation_targets(context.entity, PARENT_OF)
    )
    return {
        "members": _sorted_entities(found[ref] for ref in relation_targets(context.entity, HAS_MEMBER) if ref in found),
        "missing_members": [ref for ref in relation_targets(context.entity, HAS_MEMBER) if ref not in found],
        "children": [found.get(ref) or ref for ref in relation_targets(context.entity, PARENT_OF)],
        "parent": relation_targets(context.entity, CHILD_OF),
        "ancestors": group_ancestors(context),
    }


def group_ancestors(context: EntityContext) -> list[Mapping[str, Any] | str]:
    """The group's parents up to the top of the organisation, the top first (a ref where the catalog lacks it)."""
    chain: list[Mapping[str, Any] | str] = []
    seen = {context.ref}
    parents = relation_targets(context.entity, CHILD_OF)
    while parents and len(chain) < TREE_DEPTH and parents[0] not in seen:
        seen.add(parents[0])
        parent = context.catalog.entity(parents[0])
        chain.append(parent if parent is not None else parents[0])
        parents = relation_targets(parent, CHILD_OF) if parent is not None else []
    return list(reversed(chain))


def owner_refs(context: EntityContext) -> list[str]:
    """The refs whose ownership counts for this page: a group and its child groups, or a user and their groups."""
    if str(context.entity.get("kind")).lower() == "user":
        return [context.ref, *relation_targets(context.entity, MEMBER_OF)]
    refs, todo = [context.ref], relation_targets(context.entity, PARENT_OF)
    while todo and len(refs) < 500:
        ref = todo.pop(0)
        if ref in refs:
            continue
        refs.append(ref)
        child = context.catalog.entity(ref)
        todo.extend(relation_targets(child, PARENT_OF) if child else [])
    return refs


def ownership_context(context: EntityContext) -> Mapping[str, Any]:
    direct = {"relations.ownedby": context.ref}
    aggregated = {"relations.ownedby": owner_refs(context)}
    return {
        "owner_refs": aggregated["relations.ownedby"],
        "direct_kinds": context.catalog.counts("kind", direct),
        "kinds": context.catalog.counts("kind", aggregated),
        "entities": context.catalog.find(aggregated, limit=50),
        "total": context.catalog.count(aggregated),
    }


def user_groups_context(context: EntityContext) -> Mapping[str, Any]:
    refs = relation_targets(context.entity, MEMBER_OF)
    found = context.catalog.entities(refs)
    return {"groups": [found.get(ref) or ref for ref in refs]}


def contents_context(context: EntityContext) -> Mapping[str, Any]:
    """A system's components, APIs and resources; for a domain, its systems and what they hold."""
    parts = context.catalog.find({"relations.partof": context.ref}, limit=500)
    if str(context.entity.get("kind")).lower() == "domain":
        systems = [EntityRef.of(dict(entity)).key for entity in parts]
        if systems:
            parts = parts + context.catalog.find({"relations.partof": systems}, limit=500)
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for entity in _sorted_entities(parts):
        grouped.setdefault(str(entity.get("kind")), []).append(entity)
    return {"grouped": grouped}


def neighbours_context(context: EntityContext) -> Mapping[str, Any]:
    return {"graph": relation_graph(context.catalog, context.entity, context.ref, depth=1)}


def system_diagram_context(context: EntityContext) -> Mapping[str, Any]:
    types = [PART_OF, PROVIDES_API, CONSUMES_API, DEPENDS_ON]
    graph = relation_graph(context.catalog, context.entity, context.ref, depth=2, types=types)
    return {"graph": graph}


def api_users_context(context: EntityContext) -> Mapping[str, Any]:
    providers, consumers = (
        relation_targets(context.entity, API_PROVIDED_BY),
        relation_targets(context.entity, API_CONSUMED_BY),
    )
    found = context.catalog.entities(providers + consumers)
    return {
        "providers": [found.get(ref) or ref for ref in providers],
        "consumers": [found.get(ref) or ref for ref in consumers],
    }


# -- tabs ---------------------------------------------------------------------------------------------------


def dependencies_context(context: EntityContext) -> Mapping[str, Any]:
    try:
        depth = min(4, max(1, int(context.params.get("depth", "1"))))
    except ValueError:
        depth = 1
    chosen = [t for t in context.params.get("types", "").split(",") if t in FORWARD_TYPES]
    expand = context.params.get("expand") == "all"
    collapse_over = 0 if expand else 6
    graph = relation_graph(
        context.catalog, context.entity, context.ref, depth=depth, types=chosen or None, collapse_over=collapse_over
    )
    return {"graph": graph, "depth": depth, "types": FORWARD_TYPES, "chosen": chosen, "expand": expand}


def apis_context(context: EntityContext) -> Mapping[str, Any]:
    provided, consumed = relation_targets(context.entity, PROVIDES_API), relation_targets(context.entity, CONSUMES_API)
    found = context.catalog.entities(provided + consumed)
    return {
        "provided": [found.get(ref) or ref for ref in provided],
        "consumed": [found.get(ref) or ref for ref in consumed],
    }


def _has_docs(entity: Mapping[str, Any]) -> bool:
    return bool(((entity.get("metadata") or {}).get("annotations") or {}).get("backstage.io/techdocs-ref"))


def docs_context(context: EntityContext) -> Mapping[str, Any]:
    """The Docs tab: the page asked for, from the last build, and the state of any rebuild."""
    service = context.services.get("techdocs")
    if service is None:
        return {"unavailable": True}
    state = service.state(context.entity)
    page = None
    if state.built:
        page = service.page(context.entity, context.params.get("path", ""))
    return {"state": state, "page": page, "path": context.params.get("path", "")}


def _has_parts(entity: Mapping[str, Any]) -> bool:
    return _kind_is("system", "domain")(entity) or bool(relation_targets(entity, HAS_PART))


@hookimpl
def register_entity_cards() -> list[EntityCard]:
    return [
        EntityCard("problems", "Problems", "cards/problems.html", "main", 0, _has_problems, problems_context),
        EntityCard("about", "About", "cards/about.html", "main", 10, context=about_context),
        EntityCard("members", "Members", "cards/members.html", "main", 20, _kind_is("group"), members_context),
        EntityCard(
            "user-groups", "Groups", "cards/user_groups.html", "main", 20, _kind_is("user"), user_groups_context
        ),
        EntityCard(
            "ownership", "Ownership", "cards/ownership.html", "main", 30, _kind_is("group", "user"), ownership_context
        ),
        EntityCard(
            "system-diagram", "System diagram", "cards/graph.html", "main", 30, _has_parts, system_diagram_context
        ),
        EntityCard(
            "relation-graph",
            "Relation graph",
            "cards/graph.html",
            "main",
            50,
            lambda entity: not _has_parts(entity),
            neighbours_context,
        ),
        EntityCard(
            "contents", "Contents", "cards/contents.html", "main", 40, _kind_is("system", "domain"), contents_context
        ),
        EntityCard(
            "api-users",
            "Providers and consumers",
            "cards/api_users.html",
            "main",
            40,
            _kind_is("api"),
            api_users_context,
        ),
        EntityCard("links", "Links", "cards/links.html", "side", 10),
        EntityCard("relations", "Relations", "cards/relations.html", "side", 20, context=relations_context),
        EntityCard("metadata", "Labels and annotations", "cards/metadata.html", "side", 30),
    ]


@hookimpl
def register_entity_tabs() -> list[EntityTab]:
    return [
        EntityTab("docs", "Docs", "tabs/docs.html", 5, _has_docs, docs_context),
        EntityTab("dependencies", "Dependencies", "tabs/dependencies.html", 10, context=dependencies_context),
        EntityTab("apis", "APIs", "tabs/apis.html", 20, _kind_is("component"), apis_context),
        EntityTab("definition", "Definition", "tabs/definition.html", 20, _kind_is("api"), definition_context),
        EntityTab("inspect", "Inspect", "tabs/inspect.html", 90, context=inspect_context),
    ]


@hookimpl
def register_nav_items() -> list[NavItem]:
    return [
        NavItem("Catalog", "/catalog", 10, "catalog"),
        NavItem("APIs", "/apis", 20, "api"),
        NavItem("Create", "/create", 30, "create"),
        NavItem("Search", "/search", 40, "search"),
        NavItem("Register", "/catalog-import", 80, "plus"),
        NavItem("Discovery", "/discovery", 85, "discover"),
        NavItem("Problems", "/catalog-problems", 90, "alert"),
        NavItem("Audit", "/admin/audit", 95, "audit"),
        NavItem("Plugins", "/admin/plugins", 97, "plugins"),
    ]
