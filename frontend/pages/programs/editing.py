"""Pure editing of a program graph (React Flow JSON) for the builder: new nodes with sensible defaults,
field edits from the side panel with type coercion, removal, auto layout and an undo history.

No Reflex here, so the rules are unit-tested directly (tests/hub/test_program_editing.py).
"""

from __future__ import annotations

import copy
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

Graph = dict[str, Any]

NODE_TYPES = ("message", "checkin", "wait", "condition", "goal", "twin", "end")
DEFAULTS: dict[str, dict[str, Any]] = {
    "message": {"text": ""},
    "checkin": {"question": "", "kind": "scale", "min": 1, "max": 5, "window_minutes": 720},
    "wait": {"duration_minutes": 1440},
    "condition": {"source": "answer", "node": "", "rules": [{"label": "yes", "op": "eq", "value": "yes"}]},
    "goal": {"name": ""},
    "twin": {"topic": "", "max_turns": 5},
    "end": {},
}
INT_FIELDS = {"min", "max", "window_minutes", "duration_minutes", "max_turns", "target"}
OPTIONAL = {"title", "window_minutes", "prompt", "streak_of", "target", "attribute", "event", "node"}
_WAIT_OTHER = {"duration_minutes": "until", "until": "duration_minutes"}
LAYER_GAP, COLUMN_GAP = 150, 230
HISTORY_LIMIT = 100


def normalise(raw: Any) -> Graph:
    """The graph as the builder keeps it: lists of nodes and edges, always with the two keys."""
    raw = raw if isinstance(raw, dict) else {}
    nodes = [n for n in raw.get("nodes") or [] if isinstance(n, dict) and n.get("id")]
    edges = [e for e in raw.get("edges") or [] if isinstance(e, dict) and e.get("source") and e.get("target")]
    return {"nodes": nodes, "edges": edges}


def find(graph: Graph, node_id: str) -> dict[str, Any] | None:
    return next((n for n in graph["nodes"] if n.get("id") == node_id), None)


KIND_NAMES = {"start": "Start", "message": "Message", "checkin": "Check-in", "wait": "Wait",
              "condition": "Condition", "goal": "Goal", "twin": "Twin chat", "end": "End"}  # fmt: skip
SAYS = {"message": "text", "checkin": "question", "goal": "name", "twin": "topic"}


def step_name(graph: Graph, node_id: str) -> str:
    """What people call a step, as the canvas shows it: its title, else what it says, else its kind. A step no
    longer in the graph (removed since) keeps its id."""
    node = find(graph, node_id)
    if node is None:
        return node_id
    data = node.get("data") or {}
    kind = str(node.get("type") or "")
    said = data.get("title") or data.get(SAYS.get(kind, ""), "")
    text = " ".join(str(said).split())
    if not text:
        return KIND_NAMES.get(kind, node_id)
    return f"'{text}'" if len(text) <= 40 else f"'{text[:39].rsplit(' ', 1)[0]}…'"


def _new_id(graph: Graph, node_type: str) -> str:
    taken = {str(n.get("id")) for n in graph["nodes"]}
    i = 1
    while f"{node_type}_{i}" in taken:
        i += 1
    return f"{node_type}_{i}"


def add_node(graph: Graph, node_type: str, x: float, y: float) -> tuple[Graph, str]:
    """A copy of `graph` with a new node of `node_type` at (x, y); returns it and the new id."""
    if node_type not in NODE_TYPES:
        raise ValueError(f"unknown node type {node_type!r}")
    out = copy.deepcopy(graph)
    node_id = _new_id(out, node_type)
    data = copy.deepcopy(DEFAULTS[node_type])
    out["nodes"].append({"id": node_id, "type": node_type, "position": {"x": float(x), "y": float(y)}, "data": data})
    return out, node_id


def coerce(key: str, value: Any) -> Any:
    """A side-panel value as the graph stores it: integers for counts and minutes, None for a cleared
    optional field, trimmed times."""
    if isinstance(value, str):
        value = value.strip() if key in INT_FIELDS or key in {"until", "op", "kind", "source"} else value
        if value == "" and (key in OPTIONAL or key in INT_FIELDS):
            return None
        if key in INT_FIELDS:
            try:
                return int(float(value))
            except ValueError:
                return value  # kept as typed; validation names the field
    return value


def set_field(graph: Graph, node_id: str, key: str, value: Any) -> Graph:
    """A copy of `graph` with `data[key]` of one node set (None removes an optional field). A wait keeps
    exactly one of duration and time of day."""
    out = copy.deepcopy(graph)
    node = find(out, node_id)
    if node is None:
        return out
    data = node.setdefault("data", {})
    value = coerce(key, value)
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    if node.get("type") == "wait" and value is not None and key in _WAIT_OTHER:
        data.pop(_WAIT_OTHER[key], None)
    return out


def set_wait_mode(graph: Graph, node_id: str, mode: str) -> Graph:
    """Switch a wait between a duration and a time of day (member's local time)."""
    if mode == "until":
        return set_field(graph, node_id, "until", "07:00")
    return set_field(graph, node_id, "duration_minutes", 1440)


def _rules(node: dict[str, Any]) -> list[dict[str, Any]]:
    rules = node.setdefault("data", {}).setdefault("rules", [])
    if not isinstance(rules, list):
        rules = node["data"]["rules"] = []
    return rules


def set_rule(graph: Graph, node_id: str, index: int, key: str, value: Any) -> Graph:
    """Edit one condition rule. Renaming a rule's label moves the edges leaving by that branch with it."""
    out = copy.deepcopy(graph)
    node = find(out, node_id)
    if node is None:
        return out
    rules = _rules(node)
    if not 0 <= index < len(rules):
        return out
    if key == "label":
        old, new = str(rules[index].get("label", "")), str(value).strip()
        for e in out["edges"]:
            if old and _leaves_by(e, node_id, old):
                e["sourceHandle"] = e["label"] = new
        value = new
    rules[index][key] = _rule_value(value) if key == "value" else value
    return out


def _leaves_by(edge: dict[str, Any], node_id: str, branch: Any) -> bool:
    return bool(edge.get("source") == node_id and (edge.get("sourceHandle") or edge.get("label")) == branch)


def _rule_value(value: Any) -> Any:
    """Numbers compare as numbers ("3" -> 3), words stay words."""
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def add_rule(graph: Graph, node_id: str) -> Graph:
    out = copy.deepcopy(graph)
    node = find(out, node_id)
    if node is not None:
        rules = _rules(node)
        taken = {r.get("label") for r in rules if isinstance(r, dict)}
        n = len(rules) + 1
        while f"branch {n}" in taken:
            n += 1
        rules.append({"label": f"branch {n}", "op": "eq", "value": ""})
    return out


def remove_rule(graph: Graph, node_id: str, index: int) -> Graph:
    """Drop a rule and the edge that left by its branch."""
    out = copy.deepcopy(graph)
    node = find(out, node_id)
    if node is None:
        return out
    rules = _rules(node)
    if 0 <= index < len(rules):
        label = rules.pop(index).get("label")
        out["edges"] = [e for e in out["edges"] if not _leaves_by(e, node_id, label)]
    return out


def remove_node(graph: Graph, node_id: str) -> Graph:
    """Delete a node and every edge touching it (the start node stays)."""
    node = find(graph, node_id)
    if node is None or node.get("type") == "start":
        return copy.deepcopy(graph)
    return {
        "nodes": [copy.deepcopy(n) for n in graph["nodes"] if n.get("id") != node_id],
        "edges": [copy.deepcopy(e) for e in graph["edges"] if node_id not in (e.get("source"), e.get("target"))],
    }


def auto_layout(graph: Graph) -> Graph:
    """Top-down layers by shortest distance from the start (breadth first, so loops do not stretch the
    drawing); unreachable nodes go in a last layer; siblings keep their current left-to-right order."""
    out = copy.deepcopy(graph)
    nodes = {str(n["id"]): n for n in out["nodes"]}
    children: dict[str, list[str]] = {nid: [] for nid in nodes}
    for e in out["edges"]:
        if e.get("source") in nodes and e.get("target") in nodes:
            children[str(e["source"])].append(str(e["target"]))
    roots = [nid for nid, n in nodes.items() if n.get("type") == "start"] or list(nodes)[:1]
    depth: dict[str, int] = {r: 0 for r in roots}
    queue = deque(roots)
    while queue:
        nid = queue.popleft()
        for child in children[nid]:
            if child not in depth:
                depth[child] = depth[nid] + 1
                queue.append(child)
    last = max(depth.values(), default=-1) + 1
    layers: dict[int, list[str]] = {}
    for nid in nodes:
        layers.setdefault(depth.get(nid, last), []).append(nid)
    for level, members in layers.items():
        members.sort(key=lambda nid: float(nodes[nid].get("position", {}).get("x", 0)))
        width = (len(members) - 1) * COLUMN_GAP
        for i, nid in enumerate(members):
            nodes[nid]["position"] = {"x": float(i * COLUMN_GAP - width / 2), "y": float(level * LAYER_GAP)}
    return out


@dataclass
class History:
    """Undo and redo over whole-graph snapshots (graphs are small: a 200-node program is ~60 kB)."""

    past: list[Graph] = field(default_factory=list)
    future: list[Graph] = field(default_factory=list)

    def record(self, before: Graph) -> None:
        self.past.append(copy.deepcopy(before))
        del self.past[:-HISTORY_LIMIT]
        self.future.clear()

    def undo(self, current: Graph) -> Graph | None:
        if not self.past:
            return None
        self.future.append(copy.deepcopy(current))
        return self.past.pop()

    def redo(self, current: Graph) -> Graph | None:
        if not self.future:
            return None
        self.past.append(copy.deepcopy(current))
        return self.future.pop()
