"""Graph validation: each rule, with the node ids in the message."""

from __future__ import annotations

import itertools
from typing import Any

from backend.programs.graph import validate
from backend.programs.templates import all_templates


def n(node_id: str, type_: str, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "position": {"x": 0, "y": 0}, "data": data}


def e(source: str, target: str, label: str | None = None) -> dict[str, Any]:
    edge = {"id": f"{source}-{target}-{label or ''}", "source": source, "target": target}
    if label:
        edge["label"] = label
    return edge


def codes(graph: dict[str, Any]) -> dict[str, str]:
    return {i.code: i.message for i in validate(graph)}


def linear(*middle: dict[str, Any]) -> dict[str, Any]:
    nodes = [n("s", "start"), *middle, n("z", "end")]
    ids = [x["id"] for x in nodes]
    return {"nodes": nodes, "edges": [e(a, b) for a, b in itertools.pairwise(ids)]}


def test_templates_and_a_minimal_program_are_valid() -> None:
    for t in all_templates():
        assert validate(t["graph"]) == [], t["key"]
    assert validate(linear(n("m", "message", text="hi {{name}}"))) == []


def test_exactly_one_start() -> None:
    g = linear(n("m", "message", text="x"))
    g["nodes"].append(n("s2", "start"))
    g["edges"].append(e("s2", "m"))
    assert "s, s2" in codes(g)["start_count"]
    g = {"nodes": [n("m", "message", text="x"), n("z", "end")], "edges": [e("m", "z")]}
    assert "found 0" in codes(g)["start_count"]


def test_unreachable_nodes_are_named() -> None:
    g = linear(n("m", "message", text="x"))
    g["nodes"] += [n("orphan", "message", text="y"), n("orphan2", "end")]
    g["edges"].append(e("orphan", "orphan2"))
    assert "orphan, orphan2" in codes(g)["unreachable"]


def test_dangling_edges() -> None:
    g = linear(n("m", "message", text="x"))
    g["edges"].append({"id": "bad", "source": "m", "target": "ghost"})
    issue = next(i for i in validate(g) if i.code == "dangling_edge")
    assert "bad (m -> ghost)" in issue.message and issue.edge_ids == ["bad"]


def test_condition_needs_else_and_matching_labels() -> None:
    cond = n("c", "condition", source="answer", rules=[{"label": "high", "op": "gte", "value": 4}])
    g = {
        "nodes": [n("s", "start"), cond, n("a", "end"), n("b", "end")],
        "edges": [e("s", "c"), e("c", "a", "high"), e("c", "b", "hgih")],
    }
    found = codes(g)
    assert "Condition c needs exactly one 'else' edge" in found["condition_without_else"]
    assert "'hgih'" in found["unknown_branch"]
    g["edges"][2] = e("c", "b", "else")
    assert validate(g) == []
    g["edges"] = [e("s", "c"), e("c", "b", "else")]
    assert "'high'" in codes(g)["rule_without_edge"]


def test_loop_without_wait_is_refused_and_with_wait_accepted() -> None:
    g = {
        "nodes": [
            n("s", "start"),
            n("m", "message", text="again"),
            n(
                "c",
                "condition",
                source="attribute",
                attribute="visits.m",
                rules=[{"label": "stop", "op": "gte", "value": 3}],
            ),
            n("z", "end"),
        ],
        "edges": [e("s", "m"), e("m", "c"), e("c", "z", "stop"), e("c", "m", "else")],
    }
    assert "through c, m" in codes(g)["loop_without_wait"]
    g["nodes"].append(n("w", "wait", duration_minutes=60))
    g["edges"][-1] = e("c", "w", "else")
    g["edges"].append(e("w", "m"))
    assert validate(g) == []
    # A self-loop is a loop too.
    g2 = linear(n("m", "message", text="x"))
    g2["edges"].append(e("z", "z"))
    assert "end_has_edges" in codes(g2) and "loop_without_wait" in codes(g2)


def test_missing_required_fields_per_type() -> None:
    bad = [
        n("m", "message"),
        n("q", "checkin", question="How?", kind="stars"),
        n("q2", "checkin", question="How?", kind="scale", min=5, max=1),
        n("w", "wait"),
        n("w2", "wait", until="25:00"),
        n("w3", "wait", duration_minutes=10, until="07:00"),
        n("g", "goal"),
        n("t", "twin", topic="x", max_turns=0),
        n("c", "condition", source="mood", rules=[]),
    ]
    g = linear(*bad)
    messages = [i.message for i in validate(g) if i.code == "missing_field"]
    joined = " | ".join(messages)
    for fragment in (
        "Node m (message): text is required",
        "Node q (checkin): kind must be one of",
        "Node q2 (checkin): a scale needs numeric min < max",
        "Node w (wait): set exactly one of",
        "Node w2 (wait): until must be a time of day",
        "Node w3 (wait): set exactly one of",
        "Node g (goal): name is required",
        "Node t (twin): max_turns",
        "Node c (condition): source must be one of",
    ):
        assert fragment in joined, fragment


def test_unknown_type_branching_and_dead_ends() -> None:
    g = linear(n("x", "teleport"))
    assert "x" in codes(g)["unknown_type"]
    g = {"nodes": [n("s", "start"), n("m", "message", text="x")], "edges": [e("s", "m")]}
    assert "Node m (message) has no outgoing edge" in codes(g)["no_next"]
    g = linear(n("m", "message", text="x"))
    g["edges"].append(e("m", "s"))
    assert "Node m (message) needs exactly one next edge" in codes(g)["branching"]


def test_duplicate_ids_and_garbage() -> None:
    g = linear(n("m", "message", text="x"))
    g["nodes"].append(n("m", "message", text="y"))
    assert "'m'" in codes(g)["duplicate_node"]
    assert codes({"nodes": "nope", "edges": []}).keys() == {"bad_graph"}
