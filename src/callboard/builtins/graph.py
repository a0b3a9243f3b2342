"""The relation graph around an entity: which entities to show (breadth-first) and where to draw them.

Each relation is stored in both directions (``ownedBy`` and ``ownerOf``); the graph keeps one edge per
pair, in the direction people read ("service ownedBy team", "service providesApi api"), and lays the
nodes out in columns from left to right along those edges, as Backstage's catalog graph does with dagre.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from callboard.sdk import (
    CHILD_OF,
    CONSUMES_API,
    DEPENDS_ON,
    MEMBER_OF,
    OWNED_BY,
    PART_OF,
    PROVIDES_API,
    CatalogReader,
    EntityRef,
    EntityRefError,
    kind_plural,
)
from callboard.sdk import (
    RELATION_REVERSE as REVERSE,
)

#: The direction each edge is drawn in; the reverse types fold into these.
FORWARD_TYPES = (OWNED_BY, PART_OF, DEPENDS_ON, PROVIDES_API, CONSUMES_API, MEMBER_OF, CHILD_OF)

NODE_WIDTH = 190
NODE_HEIGHT = 46
COLUMN_GAP = 110
ROW_GAP = 22
MARGIN = 16


@dataclass
class GraphNode:
    ref: str
    kind: str
    namespace: str
    name: str
    title: str
    known: bool  # False: a relation points at an entity the catalog does not have
    root: bool = False
    column: int = 0
    x: float = 0.0
    y: float = 0.0
    #: A box standing for several entities ("24 components"): what it stands for, drawn in full on request.
    members: list[GraphNode] = field(default_factory=list)

    def data(self, href: Callable[[str], str]) -> dict[str, Any]:
        """What the browser's layout needs of this box; ``href`` is the page's link to an entity."""
        found: dict[str, Any] = {"id": self.ref, "kind": self.kind, "title": self.title, "href": href(self.ref)}
        if self.root:
            found["root"] = True
        if not self.known:
            found["unknown"] = True
        if self.members:
            found["members"] = [member.data(href) for member in self.members]
        return found


@dataclass(frozen=True)
class GraphEdge:
    source: str
    type: str
    target: str


@dataclass
class Graph:
    nodes: dict[str, GraphNode]
    edges: list[GraphEdge]
    truncated: bool = False
    width: float = 0.0
    height: float = 0.0
    paths: list[dict[str, Any]] = field(default_factory=list)

    def data(self, href: Callable[[str], str]) -> dict[str, Any]:
        """The graph as the browser lays it out (graph.js): boxes with their links, edges by box id."""
        return {
            "nodes": [node.data(href) for node in self.nodes.values()],
            "edges": [{"source": edge.source, "target": edge.target, "type": edge.type} for edge in self.edges],
        }


def forward(source: str, relation_type: str, target: str) -> GraphEdge | None:
    """The edge in its drawn direction, or None for a relation type the graph does not draw."""
    if relation_type in FORWARD_TYPES:
        return GraphEdge(source, relation_type, target)
    reverse = REVERSE.get(relation_type)
    if reverse in FORWARD_TYPES:
        return GraphEdge(target, reverse, source)
    return GraphEdge(source, relation_type, target)  # a plugin's relation: drawn as written


def _node(ref: str, entity: Mapping[str, Any] | None) -> GraphNode:
    try:
        parsed = EntityRef.parse(ref)
    except EntityRefError:
        parsed = EntityRef("unknown", "default", ref)
    if entity is None:
        return GraphNode(ref, parsed.kind, parsed.namespace, parsed.name, parsed.name, known=False)
    metadata = entity.get("metadata") or {}
    kind = str(entity.get("kind", parsed.kind))
    name = str(metadata.get("name", parsed.name))
    profile = (entity.get("spec") or {}).get("profile")
    display_name = profile.get("displayName") if isinstance(profile, dict) else None
    title = str(metadata.get("title") or display_name or name)
    return GraphNode(ref, kind, str(metadata.get("namespace") or "default"), name, title, known=True)


def relation_graph(
    catalog: CatalogReader,
    root: Mapping[str, Any],
    root_ref: str,
    *,
    depth: int = 1,
    types: Collection[str] | None = None,
    max_nodes: int = 150,
    collapse_over: int = 6,
) -> Graph:
    """Entities up to ``depth`` relations away from the root, following only ``types`` (forward names).

    Like Backstage's graph (``unidirectional``), the walk keeps going the way it left the root: from what
    the root depends on it follows dependencies further, from what depends on the root it follows dependents.
    Otherwise a shared owner two steps away would pull in everything that team owns.
    """
    wanted = set(types) if types else None
    nodes = {root_ref: _node(root_ref, root)}
    nodes[root_ref].root = True
    nodes[root_ref].column = 0
    edges: dict[tuple[str, str, str], GraphEdge] = {}
    loaded: dict[str, Mapping[str, Any] | None] = {root_ref: root}
    heading: dict[str, int] = {root_ref: 0}  # +1 downstream of the root, -1 upstream, 0 the root itself
    frontier = [root_ref]
    truncated = False
    for _ in range(max(1, depth)):
        next_frontier: list[str] = []
        for ref in frontier:
            for edge in _edges_of(ref, loaded.get(ref), wanted):
                step = 1 if edge.source == ref else -1
                if heading[ref] not in (0, step):
                    continue
                other = edge.target if step == 1 else edge.source
                if other not in nodes:
                    if len(nodes) >= max_nodes:
                        truncated = True
                        continue
                    nodes[other] = _node(other, None)
                    nodes[other].column = nodes[ref].column + step
                    heading[other] = step
                    next_frontier.append(other)
                edges.setdefault((edge.source, edge.type, edge.target), edge)
        if not next_frontier:
            break
        found = catalog.entities(next_frontier)
        for ref in next_frontier:
            loaded[ref] = found.get(ref)
            if ref in found:
                column = nodes[ref].column
                nodes[ref] = _node(ref, found[ref])
                nodes[ref].column = column
        frontier = [ref for ref in next_frontier if ref in found]
    # Relations between entities already drawn (two dependencies of the root that depend on each other) are
    # drawn too when they run left to right; others would cross the picture.
    for ref, entity in loaded.items():
        for edge in _edges_of(ref, entity, wanted):
            inside = edge.source in nodes and edge.target in nodes
            if inside and nodes[edge.source].column < nodes[edge.target].column:
                edges.setdefault((edge.source, edge.type, edge.target), edge)
    graph = Graph(nodes, list(edges.values()), truncated)
    if collapse_over:
        collapse_leaves(graph, collapse_over)
    layout(graph)
    return graph


def collapse_leaves(graph: Graph, over: int) -> None:
    """More than ``over`` entities of one kind hanging off the same box by the same relation, and by nothing
    else, become one box ("24 components"): a team owning sixty things stays a picture, not a wall of boxes.
    The page can draw them in full."""
    degree: Counter[str] = Counter()
    for edge in graph.edges:
        degree[edge.source] += 1
        degree[edge.target] += 1
    groups: dict[tuple[str, str, str, bool], list[GraphEdge]] = {}
    for edge in graph.edges:
        for leaf, other, outgoing in ((edge.source, edge.target, True), (edge.target, edge.source, False)):
            node = graph.nodes[leaf]
            if degree[leaf] == 1 and degree[other] > 1 and not node.root:
                groups.setdefault((node.kind.lower(), other, edge.type, outgoing), []).append(edge)
    for (kind, other, relation, outgoing), group in groups.items():
        if len(group) <= over:
            continue
        leaves = [graph.nodes.pop(edge.source if outgoing else edge.target) for edge in group]
        leaves.sort(key=lambda node: node.title.lower())
        ref = f"{relation} {other} {kind}"  # not an entity ref: a name no entity can have
        first = leaves[0]
        graph.nodes[ref] = GraphNode(
            ref,
            first.kind,
            "",
            ref,
            f"{len(leaves)} {kind_plural(first.kind, len(leaves))}",
            True,
            column=first.column,
            members=leaves,
        )
        drawn = set(map(id, group))
        graph.edges = [edge for edge in graph.edges if id(edge) not in drawn]
        graph.edges.append(GraphEdge(ref, relation, other) if outgoing else GraphEdge(other, relation, ref))


def _edges_of(ref: str, entity: Mapping[str, Any] | None, wanted: set[str] | None) -> list[GraphEdge]:
    found = []
    for relation in (entity or {}).get("relations") or []:
        edge = forward(ref, str(relation.get("type")), str(relation.get("targetRef", "")).lower())
        if edge is not None and (wanted is None or edge.type in wanted):
            found.append(edge)
    return found


#: A column taller than this wraps into several, so a team owning sixty things still fits on a screen.
MAX_ROWS = 10


def layout(graph: Graph) -> None:
    """Place nodes: one column per distance from the root, rows ordered to shorten edges, tall ones wrapped."""
    neighbours: dict[str, list[str]] = {ref: [] for ref in graph.nodes}
    for edge in graph.edges:
        neighbours[edge.source].append(edge.target)
        neighbours[edge.target].append(edge.source)
    columns: dict[int, list[GraphNode]] = {}
    for node in sorted(graph.nodes.values(), key=lambda n: (n.kind.lower(), n.name)):
        columns.setdefault(node.column, []).append(node)
    order = sorted(columns)
    rank = {node.ref: index for nodes in columns.values() for index, node in enumerate(nodes)}
    # Two barycentre sweeps (left to right, then back) are enough for the small graphs drawn here.
    for sweep in (order, list(reversed(order))):
        for column in sweep:

            def barycentre(node: GraphNode) -> float:
                others = [rank[o] for o in neighbours[node.ref] if graph.nodes[o].column != node.column]
                return sum(others) / len(others) if others else rank[node.ref]

            columns[column].sort(key=barycentre)
            rank.update({node.ref: index for index, node in enumerate(columns[column])})
    tallest = min(MAX_ROWS, max(len(nodes) for nodes in columns.values()))
    graph.height = MARGIN * 2 + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP
    visual = 0
    for column in order:
        nodes = columns[column]
        chunks = [nodes[start : start + MAX_ROWS] for start in range(0, len(nodes), MAX_ROWS)]
        for chunk in chunks:
            offset = (tallest - len(chunk)) * (NODE_HEIGHT + ROW_GAP) / 2
            for index, node in enumerate(chunk):
                node.x = MARGIN + visual * (NODE_WIDTH + COLUMN_GAP)
                node.y = MARGIN + offset + index * (NODE_HEIGHT + ROW_GAP)
            visual += 1
    graph.width = MARGIN * 2 + visual * NODE_WIDTH + (visual - 1) * COLUMN_GAP
    graph.paths = [_path(graph.nodes[edge.source], graph.nodes[edge.target], edge.type) for edge in graph.edges]


def _path(source: GraphNode, target: GraphNode, label: str) -> dict[str, Any]:
    """A curve from the side of one box to the facing side of the other, with its label's position."""
    sy, ty = source.y + NODE_HEIGHT / 2, target.y + NODE_HEIGHT / 2
    if source.x == target.x:
        sx = tx = source.x + NODE_WIDTH
        bend = COLUMN_GAP / 2
        d = f"M{sx},{sy} C{sx + bend},{sy} {tx + bend},{ty} {tx},{ty}"
        return {"d": d, "label": label, "lx": sx + bend * 0.75, "ly": (sy + ty) / 2}
    if target.x > source.x:
        sx, tx = source.x + NODE_WIDTH, target.x
    else:
        sx, tx = source.x, target.x + NODE_WIDTH
    middle = (sx + tx) / 2
    d = f"M{sx},{sy} C{middle},{sy} {middle},{ty} {tx},{ty}"
    return {"d": d, "label": label, "lx": middle, "ly": (sy + ty) / 2 - 4}
