"""The program graph (React Flow JSON) and its validation.

A graph is `{"nodes": [{"id", "type", "position": {"x", "y"}, "data": {...}}], "edges": [{"id", "source",
"target", "sourceHandle", "label"}]}`, exactly what a React Flow canvas loads and saves. Extra keys the
canvas keeps (width, selected, viewport...) are preserved and ignored.

Node types and their `data`:
- start      (none)                                    exactly one; where every enrollment begins
- message    text, variants?                           {{name}}, {{day}}... are member variables
- checkin    question, kind (scale|yes_no|number|free_text), min/max (scale), window_minutes?
             edges: one plain edge, plus an optional "timeout" edge taken when the window closes unanswered
- wait       duration_minutes  |  until "HH:MM" (member's local time, DST-correct)
- condition  source (answer|attribute|event), node? (answer), attribute? , event?, rules [{label, op, value}]
             edges labelled with rule labels (label or sourceHandle) and exactly one "else" edge
- goal       name, streak_of? (a checkin id) + target?  records an achievement
- twin       topic, max_turns, prompt?, window_minutes? an open exchange with the twin; optional "timeout" edge
- end        (none)                                    no outgoing edges
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NODE_TYPES = ("start", "message", "checkin", "wait", "condition", "goal", "twin", "end")
CHECKIN_KINDS = ("scale", "yes_no", "number", "free_text")
CONDITION_SOURCES = ("answer", "attribute", "event")
OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "contains", "in", "exists", "missing")
ELSE, TIMEOUT = "else", "timeout"
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_NODES, MAX_EDGES = 1000, 4000


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Edge:
    id: str
    source: str
    target: str
    label: str  # the branch: `label`, else `sourceHandle`, else ""


@dataclass
class Graph:
    nodes: dict[str, Node]
    edges: list[Edge]
    out: dict[str, list[Edge]] = field(default_factory=dict)

    @property
    def start(self) -> str | None:
        starts = [n.id for n in self.nodes.values() if n.type == "start"]
        return starts[0] if len(starts) == 1 else None

    def next_of(self, node_id: str, branch: str = "") -> str | None:
        """The target of `node_id`'s edge for `branch` ("" = the plain edge)."""
        for e in self.out.get(node_id, []):
            if e.label == branch:
                return e.target
        if branch == "":
            plain = [e for e in self.out.get(node_id, []) if e.label not in (TIMEOUT, ELSE)]
            if plain:
                return plain[0].target
        return None


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    node_ids: list[str] = field(default_factory=list)
    edge_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "node_ids": self.node_ids, "edge_ids": self.edge_ids}


def _branch(edge: dict[str, Any]) -> str:
    label = edge.get("label")
    if isinstance(label, str) and label.strip():
        return label.strip()
    handle = edge.get("sourceHandle")
    return handle.strip() if isinstance(handle, str) else ""


def parse(raw: dict[str, Any]) -> tuple[Graph, list[Issue]]:
    """Build a Graph from canvas JSON; structural problems (ids, duplicates) come back as issues."""
    issues: list[Issue] = []
    nodes: dict[str, Node] = {}
    raw_nodes = raw.get("nodes") if isinstance(raw, dict) else None
    raw_edges = raw.get("edges") if isinstance(raw, dict) else None
    if not isinstance(raw_nodes, list) or not isinstance(raw_edges, list):
        return Graph({}, []), [Issue("bad_graph", "The graph needs a list of nodes and a list of edges")]
    if len(raw_nodes) > MAX_NODES or len(raw_edges) > MAX_EDGES:
        return Graph({}, []), [Issue("too_large", f"At most {MAX_NODES} nodes and {MAX_EDGES} edges")]
    for i, n in enumerate(raw_nodes):
        nid = n.get("id") if isinstance(n, dict) else None
        if not isinstance(nid, str) or not nid.strip() or len(nid) > 100:
            issues.append(Issue("bad_node", f"Step #{i + 1} needs an id (1-100 characters)"))
            continue
        if nid in nodes:
            issues.append(Issue("duplicate_node", f"Two steps share the id {nid!r}", [nid]))
            continue
        data = n.get("data") if isinstance(n.get("data"), dict) else {}
        nodes[nid] = Node(nid, str(n.get("type") or ""), data)
    edges: list[Edge] = []
    seen: set[str] = set()
    for i, e in enumerate(raw_edges):
        eid = e.get("id") if isinstance(e, dict) else None
        if not isinstance(eid, str) or not eid:
            issues.append(Issue("bad_edge", f"Connection #{i + 1} needs an id"))
            continue
        if eid in seen:
            issues.append(Issue("duplicate_edge", f"Two connections share the id {eid!r}", edge_ids=[eid]))
            continue
        seen.add(eid)
        edges.append(Edge(eid, str(e.get("source") or ""), str(e.get("target") or ""), _branch(e)))
    graph = Graph(nodes, edges)
    for e in edges:
        if e.source in nodes and e.target in nodes:
            graph.out.setdefault(e.source, []).append(e)
    return graph, issues


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def empty_graph() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}},
            {"id": "end", "type": "end", "position": {"x": 0, "y": 160}, "data": {}},
        ],
        "edges": [{"id": "e-start-end", "source": "start", "target": "end"}],
    }
