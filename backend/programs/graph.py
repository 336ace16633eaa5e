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
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
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
            issues.append(Issue("bad_node", f"Node #{i + 1} needs a string id (1-100 characters)"))
            continue
        if nid in nodes:
            issues.append(Issue("duplicate_node", f"Node id {nid!r} is used twice", [nid]))
            continue
        data = n.get("data") if isinstance(n.get("data"), dict) else {}
        nodes[nid] = Node(nid, str(n.get("type") or ""), data)
    edges: list[Edge] = []
    seen: set[str] = set()
    for i, e in enumerate(raw_edges):
        eid = e.get("id") if isinstance(e, dict) else None
        if not isinstance(eid, str) or not eid:
            issues.append(Issue("bad_edge", f"Edge #{i + 1} needs a string id"))
            continue
        if eid in seen:
            issues.append(Issue("duplicate_edge", f"Edge id {eid!r} is used twice", edge_ids=[eid]))
            continue
        seen.add(eid)
        edges.append(Edge(eid, str(e.get("source") or ""), str(e.get("target") or ""), _branch(e)))
    graph = Graph(nodes, edges)
    for e in edges:
        if e.source in nodes and e.target in nodes:
            graph.out.setdefault(e.source, []).append(e)
    return graph, issues


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(data: dict[str, Any], key: str) -> bool:
    return isinstance(data.get(key), str) and bool(data[key].strip())


def _fields(node: Node) -> list[str]:
    """Missing or wrong required fields of one node, as short phrases."""
    d, problems = node.data, []
    if node.type == "message":
        variants = d.get("variants")
        if not _text(d, "text") and not (isinstance(variants, list) and variants and all(_s(v) for v in variants)):
            problems.append("text is required")
    elif node.type == "checkin":
        if not _text(d, "question"):
            problems.append("question is required")
        if d.get("kind") not in CHECKIN_KINDS:
            problems.append(f"kind must be one of {', '.join(CHECKIN_KINDS)}")
        if d.get("kind") == "scale":
            lo, hi = d.get("min", 1), d.get("max", 5)
            if not (_number(lo) and _number(hi) and lo < hi):
                problems.append("a scale needs numeric min < max")
        if "window_minutes" in d and d["window_minutes"] is not None and not _positive(d["window_minutes"]):
            problems.append("window_minutes must be a positive number")
    elif node.type == "wait":
        has_duration = d.get("duration_minutes") is not None
        has_until = d.get("until") is not None
        if has_duration == has_until:
            problems.append("set exactly one of duration_minutes or until (HH:MM)")
        elif has_duration and not _positive(d["duration_minutes"]):
            problems.append("duration_minutes must be a positive number")
        elif has_until and not (isinstance(d["until"], str) and _TIME.match(d["until"])):
            problems.append("until must be a time of day HH:MM (24h)")
    elif node.type == "condition":
        source = d.get("source")
        if source not in CONDITION_SOURCES:
            problems.append(f"source must be one of {', '.join(CONDITION_SOURCES)}")
        if source == "attribute" and not _text(d, "attribute"):
            problems.append("attribute is required for an attribute condition")
        if source == "event" and not _text(d, "event"):
            problems.append("event is required for an event condition")
        rules = d.get("rules")
        if not isinstance(rules, list) or not rules:
            problems.append("at least one rule {label, op, value} is required")
        else:
            for j, r in enumerate(rules, 1):
                if not isinstance(r, dict) or not _text(r, "label") or r.get("op") not in OPS:
                    problems.append(f"rule {j} needs a label and an op in {', '.join(OPS)}")
                elif r["label"].strip() == ELSE:
                    problems.append(f"rule {j}: 'else' is reserved for the fallback edge")
    elif node.type == "goal":
        if not _text(d, "name"):
            problems.append("name is required")
        if d.get("streak_of") is not None and not (isinstance(d.get("target"), int) and d["target"] >= 1):
            problems.append("a streak goal needs an integer target >= 1")
    elif node.type == "twin":
        if not _text(d, "topic"):
            problems.append("topic is required")
        turns = d.get("max_turns")
        if not (isinstance(turns, int) and not isinstance(turns, bool) and 1 <= turns <= 50):
            problems.append("max_turns must be an integer from 1 to 50")
        if "window_minutes" in d and d["window_minutes"] is not None and not _positive(d["window_minutes"]):
            problems.append("window_minutes must be a positive number")
    return problems


def _s(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _positive(value: Any) -> bool:
    return _number(value) and 0 < value <= 366 * 24 * 60


def _ids(items: list[str]) -> str:
    return ", ".join(sorted(items))


def _cycles_without_wait(graph: Graph) -> list[list[str]]:
    """Strongly connected components (with a real cycle) of the graph minus its wait nodes (Tarjan)."""
    keep = {nid for nid, n in graph.nodes.items() if n.type != "wait"}
    succ = {nid: [e.target for e in graph.out.get(nid, []) if e.target in keep] for nid in keep}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(keep):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if i < len(succ[node]):
                work.append((node, i + 1))
                nxt = succ[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in succ[node]:
                    found.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def validate(raw: dict[str, Any]) -> list[Issue]:
    """Every problem that would stop a publish, each naming the nodes/edges to fix."""
    graph, issues = parse(raw)
    if issues and not graph.nodes:
        return issues
    nodes = graph.nodes
    unknown = [n.id for n in nodes.values() if n.type not in NODE_TYPES]
    if unknown:
        issues.append(
            Issue("unknown_type", f"Unknown node type on {_ids(unknown)} (use {', '.join(NODE_TYPES)})", unknown)
        )
    starts = [n.id for n in nodes.values() if n.type == "start"]
    if len(starts) != 1:
        issues.append(
            Issue(
                "start_count",
                f"A program needs exactly one start node, found {len(starts)}"
                + (f": {_ids(starts)}" if starts else ""),
                starts,
            )
        )
    dangling = [e for e in graph.edges if e.source not in nodes or e.target not in nodes]
    if dangling:
        detail = "; ".join(f"{e.id} ({e.source or '?'} -> {e.target or '?'})" for e in dangling)
        issues.append(
            Issue("dangling_edge", f"Edges pointing at missing nodes: {detail}", edge_ids=[e.id for e in dangling])
        )
    for n in nodes.values():
        missing = _fields(n)
        if missing:
            issues.append(Issue("missing_field", f"Node {n.id} ({n.type}): {'; '.join(missing)}", [n.id]))
    for n in nodes.values():
        outs = graph.out.get(n.id, [])
        labels = [e.label for e in outs]
        if n.type == "end":
            if outs:
                issues.append(Issue("end_has_edges", f"End node {n.id} cannot have outgoing edges", [n.id]))
            continue
        if n.type not in NODE_TYPES:
            continue
        if not outs:
            issues.append(
                Issue("no_next", f"Node {n.id} ({n.type}) has no outgoing edge: connect it or add an end", [n.id])
            )
            continue
        if n.type == "condition":
            if labels.count(ELSE) != 1:
                issues.append(
                    Issue("condition_without_else", f"Condition {n.id} needs exactly one 'else' edge", [n.id])
                )
            raw_rules = n.data.get("rules")
            rules: list[Any] = raw_rules if isinstance(raw_rules, list) else []
            rule_labels = {r["label"].strip() for r in rules if isinstance(r, dict) and _s(r.get("label"))}
            stray = sorted({lb for lb in labels if lb != ELSE and lb not in rule_labels})
            if stray:
                issues.append(
                    Issue(
                        "unknown_branch",
                        f"Condition {n.id} has edges labelled {', '.join(map(repr, stray))} that match no rule",
                        [n.id],
                        [e.id for e in outs if e.label in stray],
                    )
                )
            unwired = sorted(rule_labels - set(labels))
            if unwired:
                issues.append(
                    Issue(
                        "rule_without_edge",
                        f"Condition {n.id}: no edge for rule {', '.join(map(repr, unwired))}",
                        [n.id],
                    )
                )
            dup = sorted({lb for lb in labels if labels.count(lb) > 1 and lb != ELSE})
            if dup:
                issues.append(Issue("duplicate_branch", f"Condition {n.id}: two edges labelled {dup}", [n.id]))
            continue
        allowed_timeout = n.type in ("checkin", "twin")
        plain = [e for e in outs if not (allowed_timeout and e.label == TIMEOUT)]
        timeouts = [e for e in outs if allowed_timeout and e.label == TIMEOUT]
        if len(plain) != 1 or len(timeouts) > 1:
            extra = " (plus at most one 'timeout' edge)" if allowed_timeout else ""
            issues.append(
                Issue(
                    "branching",
                    f"Node {n.id} ({n.type}) needs exactly one next edge{extra}, has {len(outs)}",
                    [n.id],
                    [e.id for e in outs],
                )
            )
        if timeouts and not (isinstance(n.data.get("window_minutes"), int | float) and n.data["window_minutes"]):
            issues.append(
                Issue("timeout_without_window", f"Node {n.id} has a 'timeout' edge but no window_minutes", [n.id])
            )
    start = graph.start
    if start is not None:
        reached = {start}
        todo = [start]
        while todo:
            for e in graph.out.get(todo.pop(), []):
                if e.target not in reached:
                    reached.add(e.target)
                    todo.append(e.target)
        unreachable = sorted(set(nodes) - reached)
        if unreachable:
            issues.append(Issue("unreachable", f"Nodes not reachable from the start: {_ids(unreachable)}", unreachable))
    for cycle in _cycles_without_wait(graph):
        issues.append(
            Issue(
                "loop_without_wait",
                f"Loop without a wait node through {_ids(cycle)}: add a wait so it cannot spin",
                cycle,
            )
        )
    return issues


def empty_graph() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}},
            {"id": "end", "type": "end", "position": {"x": 0, "y": 160}, "data": {}},
        ],
        "edges": [{"id": "e-start-end", "source": "start", "target": "end"}],
    }
