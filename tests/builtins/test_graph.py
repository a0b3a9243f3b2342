"""The relation graph: which entities it shows and where it draws them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from callboard.builtins.graph import MAX_ROWS, NODE_HEIGHT, NODE_WIDTH, forward, relation_graph
from callboard.core.relations import REVERSE


def entity(ref: str, *relations: tuple[str, str]) -> dict[str, Any]:
    kind, _, rest = ref.partition(":")
    namespace, _, name = rest.partition("/")
    return {
        "kind": kind.title(),
        "metadata": {"name": name, "namespace": namespace},
        "relations": [{"type": t, "targetRef": target} for t, target in relations],
    }


class Catalog:
    """A CatalogReader over a dict; relations are stored both ways, as the catalog stores them."""

    def __init__(self, edges: Sequence[tuple[str, str, str]]) -> None:
        relations: dict[str, list[tuple[str, str]]] = {}
        for source, kind, target in edges:
            relations.setdefault(source, []).append((kind, target))
            relations.setdefault(target, []).append((REVERSE[kind], source))
        self.items = {ref: entity(ref, *found) for ref, found in relations.items()}

    def entity(self, ref: str) -> Mapping[str, Any] | None:
        return self.items.get(ref)

    def entities(self, refs: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        return {ref: self.items[ref] for ref in refs if ref in self.items}

    def find(self, filters: Mapping[str, Any], *, limit: int = 100) -> list[Mapping[str, Any]]:
        raise NotImplementedError

    def count(self, filters: Mapping[str, Any]) -> int:
        raise NotImplementedError

    def counts(self, key: str, filters: Mapping[str, Any]) -> list[tuple[str, int]]:
        raise NotImplementedError

    def parents(self, ref: str) -> list[str]:
        return []


SVC = "component:default/svc"
TEAM = "group:default/team"
EDGES = [
    (SVC, "ownedBy", TEAM),
    (SVC, "dependsOn", "resource:default/db"),
    ("component:default/web", "dependsOn", SVC),
    ("component:default/other", "ownedBy", TEAM),  # owned by the same team: not a neighbour of svc
    ("resource:default/db", "ownedBy", "group:default/dba"),
]


def test_reverse_relations_fold_into_the_direction_people_read() -> None:
    assert forward(TEAM, "ownerOf", SVC) == forward(SVC, "ownedBy", TEAM)
    assert forward("api:default/a", "apiProvidedBy", SVC) == forward(SVC, "providesApi", "api:default/a")


def test_depth_one_shows_direct_neighbours_once_each() -> None:
    catalog = Catalog(EDGES)
    graph = relation_graph(catalog, catalog.items[SVC], SVC, depth=1)
    assert set(graph.nodes) == {SVC, TEAM, "resource:default/db", "component:default/web"}
    assert len(graph.edges) == 3
    # Left to right along the edges: web → svc → {team, db}.
    columns = {ref: node.column for ref, node in graph.nodes.items()}
    assert columns["component:default/web"] < columns[SVC] < columns[TEAM] == columns["resource:default/db"]


def test_deeper_walks_keep_going_away_from_the_root() -> None:
    catalog = Catalog(EDGES)
    graph = relation_graph(catalog, catalog.items[SVC], SVC, depth=2)
    assert "group:default/dba" in graph.nodes  # downstream of db, which is downstream of svc
    assert "component:default/other" not in graph.nodes  # upstream of team: the walk does not turn back


def test_relation_types_filter_the_walk() -> None:
    catalog = Catalog(EDGES)
    graph = relation_graph(catalog, catalog.items[SVC], SVC, depth=2, types=["dependsOn"])
    assert set(graph.nodes) == {SVC, "resource:default/db", "component:default/web"}


def test_targets_missing_from_the_catalog_are_drawn_as_unknown() -> None:
    root = entity(SVC, ("dependsOn", "resource:default/ghost"))
    graph = relation_graph(Catalog([]), root, SVC)
    assert graph.nodes["resource:default/ghost"].known is False


def test_tall_columns_wrap_and_boxes_never_overlap() -> None:
    edges = [(f"component:default/c{i}", "ownedBy", TEAM) for i in range(25)]
    catalog = Catalog(edges)
    graph = relation_graph(catalog, catalog.items[TEAM], TEAM, depth=1, max_nodes=100, collapse_over=0)
    boxes = [(node.x, node.y) for node in graph.nodes.values()]
    assert len(set(boxes)) == len(boxes)
    for a in graph.nodes.values():
        for b in graph.nodes.values():
            if a is not b:
                assert abs(a.x - b.x) >= NODE_WIDTH or abs(a.y - b.y) >= NODE_HEIGHT
    assert graph.height <= (MAX_ROWS + 1) * (NODE_HEIGHT + 30)


def test_the_node_limit_truncates_and_says_so() -> None:
    edges = [(f"component:default/c{i}", "ownedBy", TEAM) for i in range(30)]
    catalog = Catalog(edges)
    graph = relation_graph(catalog, catalog.items[TEAM], TEAM, depth=1, max_nodes=10, collapse_over=0)
    assert len(graph.nodes) == 10 and graph.truncated


def test_many_leaves_of_one_kind_become_one_box_that_lists_them() -> None:
    edges = [(f"component:default/c{i:02d}", "ownedBy", TEAM) for i in range(9)]
    edges += [("api:default/a1", "ownedBy", TEAM), ("component:default/busy", "ownedBy", TEAM)]
    edges += [("component:default/web", "dependsOn", "component:default/busy")]
    catalog = Catalog(edges)
    graph = relation_graph(catalog, catalog.items[TEAM], TEAM, depth=2)
    boxes = [node for node in graph.nodes.values() if node.members]
    assert len(boxes) == 1
    (box,) = boxes
    assert box.title == "9 components"
    assert [member.name for member in box.members] == [f"c{i:02d}" for i in range(9)]
    # The API is alone of its kind, and busy has a relation of its own (at depth 2): both keep their boxes.
    assert {"api:default/a1", "component:default/busy", TEAM} <= set(graph.nodes)
    assert [(e.source, e.type, e.target) for e in graph.edges if e.source == box.ref] == [(box.ref, "ownedBy", TEAM)]
    data = graph.data(lambda ref: "/x/" + ref)
    (drawn,) = [node for node in data["nodes"] if "members" in node]
    assert drawn["title"] == "9 components" and len(drawn["members"]) == 9
    assert drawn["members"][0]["href"] == "/x/component:default/c00"
    assert {edge["source"] for edge in data["edges"]} >= {box.ref}


def test_collapsing_keeps_small_groups_and_can_be_turned_off() -> None:
    edges = [(f"component:default/c{i}", "ownedBy", TEAM) for i in range(6)]
    catalog = Catalog(edges)
    assert not any(n.members for n in relation_graph(catalog, catalog.items[TEAM], TEAM).nodes.values())
    edges.append(("component:default/c6", "ownedBy", TEAM))
    catalog = Catalog(edges)
    assert any(n.members for n in relation_graph(catalog, catalog.items[TEAM], TEAM).nodes.values())
    graph = relation_graph(catalog, catalog.items[TEAM], TEAM, collapse_over=0)
    assert len(graph.nodes) == 8 and not any(n.members for n in graph.nodes.values())
