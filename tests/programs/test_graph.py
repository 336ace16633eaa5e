"""Graph validation: each rule, in people's words with the steps' titles; and the runaway-loop warning."""

from __future__ import annotations

import itertools
from typing import Any

from backend.programs.templates import all_templates
from backend.programs.validation import runaway_loops, step_title, validate


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
    assert "'Start' (s), 'Start' (s2)" in codes(g)["start_count"]
    g = {"nodes": [n("m", "message", text="x"), n("z", "end")], "edges": [e("m", "z")]}
    assert "it has none" in codes(g)["start_count"]


def test_unreachable_nodes_are_named() -> None:
    g = linear(n("m", "message", text="x"))
    g["nodes"] += [n("orphan", "message", text="y"), n("orphan2", "end")]
    g["edges"].append(e("orphan", "orphan2"))
    assert "'y', 'End'" in codes(g)["unreachable"]


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
    assert "Step 'Branch on' (condition) needs exactly one 'else' exit" not in found["condition_without_else"]
    assert "Step 'c' (condition) needs exactly one 'else' exit" in found["condition_without_else"]
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
    assert "Steps 'Branch on visits.m', 'again' loop without a wait" in codes(g)["loop_without_wait"]
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
        "Step 'm' (message): write the message",
        "Step 'How?' (check-in): choose the answer type",
        "Step 'How?' (check-in): a scale needs a lowest number below its highest",
        "Step 'w' (wait): wait either for a duration or until a time of day",
        "Step 'Wait until 25:00' (wait): the time of day must read HH:MM",
        "Step 'Wait until 07:00' (wait): wait either for a duration or until a time of day",
        "Step 'g' (milestone): name the milestone",
        "Step 'x' (twin chat): the member turns must be a whole number",
        "Step 'c' (condition): choose what to branch on",
    ):
        assert fragment in joined, fragment


def test_unknown_type_branching_and_dead_ends() -> None:
    g = linear(n("x", "teleport"))
    assert "'x'" in codes(g)["unknown_type"]
    g = {"nodes": [n("s", "start"), n("m", "message", text="x")], "edges": [e("s", "m")]}
    assert "Step 'x' (message) has no next step" in codes(g)["no_next"]
    g = linear(n("m", "message", text="x"))
    g["edges"].append(e("m", "s"))
    assert "Step 'x' (message) must lead to exactly one next step" in codes(g)["branching"]


def test_duplicate_ids_and_garbage() -> None:
    g = linear(n("m", "message", text="x"))
    g["nodes"].append(n("m", "message", text="y"))
    assert "'m'" in codes(g)["duplicate_node"]
    assert codes({"nodes": "nope", "edges": []}).keys() == {"bad_graph"}


def test_titles_name_steps_as_people_do() -> None:
    from backend.programs.graph import Node

    assert step_title(Node("a", "twin", {"topic": "Evening chat", "max_turns": 3})) == "Evening chat"
    assert step_title(Node("a", "twin", {"title": "Talk", "topic": "Evening chat"})) == "Talk"
    assert step_title(Node("w", "wait", {"duration_minutes": 2880})) == "Wait 2 days"
    assert step_title(Node("m", "message", {"text": "A long message that goes on and on and on for ever"})).endswith(
        "…"
    )
    g = {"nodes": [n("s", "start"), n("t", "twin", topic="Evening chat", max_turns=3)], "edges": [e("s", "t")]}
    assert codes(g)["no_next"].startswith("Step 'Evening chat' (twin chat) has no next step")


def silent_loop(*, counted: bool) -> dict[str, Any]:
    """A daily check-in whose timeout leads back to the next day: with or without a count of the days."""
    nodes = [n("s", "start"), n("day", "message", text="Day {{visits.day}}"),
             n("ask", "checkin", question="Done?", kind="yes_no", window_minutes=600), n("w", "wait", until="07:00"),
             n("z", "end")]  # fmt: skip
    edges = [e("s", "day"), e("day", "ask"), e("ask", "z"), e("w", "day")]
    if counted:
        nodes.append(n("enough", "condition", source="attribute", attribute="visits.day",
                       rules=[{"label": "done", "op": "gte", "value": 14}]))  # fmt: skip
        edges += [e("ask", "enough", "timeout"), e("enough", "z", "done"), e("enough", "w", "else")]
    else:
        edges.append(e("ask", "w", "timeout"))
    return {"nodes": nodes, "edges": edges}


def test_a_loop_a_silent_member_travels_for_ever_is_a_warning() -> None:
    g = silent_loop(counted=False)
    assert validate(g) == []  # it is a warning, not a problem that stops publishing
    (warning,) = runaway_loops(g)
    assert warning.code == "runaway_loop" and set(warning.node_ids) == {"day", "ask", "w"}
    assert "never answers" in warning.message and "'Done?'" in warning.message and "visits.day" in warning.message
    assert runaway_loops(silent_loop(counted=True)) == []
    # Without an answer window the check-in waits for ever: stuck, not running away.
    stuck = silent_loop(counted=False)
    del stuck["nodes"][2]["data"]["window_minutes"]
    assert runaway_loops(stuck) == []
    for t in all_templates():
        assert runaway_loops(t["graph"]) == [], t["key"]
