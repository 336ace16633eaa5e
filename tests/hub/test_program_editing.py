"""The builder's graph editing rules (frontend/pages/programs/editing.py) and the states' pure helpers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from frontend.api.contracts import EnrollmentOut
from frontend.pages.programs import editing
from frontend.pages.programs.builder_state import panel_values
from frontend.pages.programs.enrollments import enrollment_where
from frontend.pages.programs.simulator import parse_answer


def graph() -> editing.Graph:
    return {
        "nodes": [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}},
            {"id": "ask", "type": "checkin", "position": {"x": 0, "y": 100},
             "data": {"question": "Calm?", "kind": "scale", "min": 1, "max": 5}},
            {"id": "split", "type": "condition", "position": {"x": 0, "y": 200},
             "data": {"source": "answer", "node": "ask", "rules": [{"label": "low", "op": "lte", "value": 2}]}},
            {"id": "tip", "type": "message", "position": {"x": -200, "y": 300}, "data": {"text": "Breathe."}},
            {"id": "end", "type": "end", "position": {"x": 0, "y": 400}, "data": {}},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "ask"},
            {"id": "e2", "source": "ask", "target": "split"},
            {"id": "e3", "source": "split", "target": "tip", "sourceHandle": "low", "label": "low"},
            {"id": "e4", "source": "split", "target": "end", "sourceHandle": "else", "label": "else"},
            {"id": "e5", "source": "tip", "target": "end"},
        ],
    }  # fmt: skip


def test_add_node_gets_defaults_and_a_fresh_id() -> None:
    g, first = editing.add_node(graph(), "message", 10, 20)
    g, second = editing.add_node(g, "message", 30, 40)
    assert (first, second) == ("message_1", "message_2")
    added = editing.find(g, "message_2")
    assert added == {"id": "message_2", "type": "message", "position": {"x": 30.0, "y": 40.0}, "data": {"text": ""}}
    assert len(graph()["nodes"]) == 5  # the input is never changed
    with pytest.raises(ValueError):
        editing.add_node(graph(), "start", 0, 0)


def test_fields_are_coerced_and_cleared() -> None:
    g = editing.set_field(graph(), "ask", "window_minutes", " 90 ")
    assert editing.find(g, "ask")["data"]["window_minutes"] == 90  # type: ignore[index]
    g = editing.set_field(g, "ask", "window_minutes", "")
    assert "window_minutes" not in editing.find(g, "ask")["data"]  # type: ignore[index]
    g = editing.set_field(g, "ask", "max", "seven")
    assert editing.find(g, "ask")["data"]["max"] == "seven"  # type: ignore[index]  # kept; validation names it
    assert editing.set_field(graph(), "nope", "text", "x") == graph()


def test_wait_keeps_exactly_one_mode() -> None:
    g, wait = editing.add_node(graph(), "wait", 0, 0)
    assert editing.find(g, wait)["data"] == {"duration_minutes": 1440}  # type: ignore[index]
    g = editing.set_wait_mode(g, wait, "until")
    assert editing.find(g, wait)["data"] == {"until": "07:00"}  # type: ignore[index]
    g = editing.set_field(g, wait, "duration_minutes", "30")
    assert editing.find(g, wait)["data"] == {"duration_minutes": 30}  # type: ignore[index]


def test_renaming_a_rule_moves_its_edge_and_removing_it_drops_the_edge() -> None:
    g = editing.set_rule(graph(), "split", 0, "label", " tense ")
    assert editing.find(g, "split")["data"]["rules"][0]["label"] == "tense"  # type: ignore[index]
    moved = next(e for e in g["edges"] if e["id"] == "e3")
    assert (moved["sourceHandle"], moved["label"]) == ("tense", "tense")
    g = editing.set_rule(g, "split", 0, "value", "3")
    assert editing.find(g, "split")["data"]["rules"][0]["value"] == 3  # type: ignore[index]
    g = editing.add_rule(g, "split")
    assert [r["label"] for r in editing.find(g, "split")["data"]["rules"]] == ["tense", "branch 2"]  # type: ignore[index]
    g = editing.remove_rule(g, "split", 0)
    assert [e["id"] for e in g["edges"]] == ["e1", "e2", "e4", "e5"]


def test_remove_node_takes_its_edges_but_never_the_start() -> None:
    g = editing.remove_node(graph(), "tip")
    assert [n["id"] for n in g["nodes"]] == ["start", "ask", "split", "end"]
    assert [e["id"] for e in g["edges"]] == ["e1", "e2", "e4"]
    assert editing.remove_node(graph(), "start") == graph()


def test_auto_layout_layers_by_distance_and_centres_siblings() -> None:
    g = graph()
    g["nodes"].append({"id": "orphan", "type": "message", "position": {"x": 0, "y": 0}, "data": {"text": "?"}})
    g["edges"].append({"id": "loop", "source": "end", "target": "start"})  # a loop must not stretch the layers
    laid = {n["id"]: n["position"] for n in editing.auto_layout(g)["nodes"]}
    gap, col = editing.LAYER_GAP, editing.COLUMN_GAP
    assert laid["start"] == {"x": 0.0, "y": 0.0}
    assert laid["ask"]["y"] == gap and laid["split"]["y"] == 2 * gap
    assert laid["tip"] == {"x": -col / 2, "y": 3 * gap} and laid["end"] == {"x": col / 2, "y": 3 * gap}
    assert laid["orphan"]["y"] == 4 * gap


def test_history_undo_redo() -> None:
    h, a = editing.History(), graph()
    b = editing.remove_node(a, "tip")
    h.record(a)
    assert h.undo(b) == a
    assert h.redo(a) == b
    assert h.redo(b) is None
    h.record(b)
    assert h.future == []
    for _ in range(editing.HISTORY_LIMIT + 5):
        h.record(a)
    assert len(h.past) == editing.HISTORY_LIMIT


def test_panel_values_are_strings_for_every_field_of_the_type() -> None:
    values = panel_values(editing.find(graph(), "ask"))
    assert values == {"id": "ask", "type": "checkin", "title": "", "question": "Calm?", "kind": "scale", "min": "1",
                      "max": "5", "window_minutes": ""}  # fmt: skip
    assert panel_values({"id": "w", "type": "wait", "data": {"until": "07:30"}})["mode"] == "until"
    assert panel_values(None) == {}


def test_scripted_answers_and_enrollment_line() -> None:
    assert parse_answer("4") == 4
    assert parse_answer(" yes ") == "yes"
    assert parse_answer("4; 2.5; no") == [4, 2.5, "no"]
    assert parse_answer(" ; ") is None
    at = datetime(2026, 1, 1, tzinfo=UTC)
    enrollment = EnrollmentOut(
        id=uuid.uuid4(), program_id=uuid.uuid4(), member_id=uuid.uuid4(), version=2, current_node="ask", steps=3,
        waiting="answer", next_due_at="2026-01-02T07:00:00+00:00", status="active", path=[], enrolled_at=at,
        updated_at=at, completed_at=None,
    )  # fmt: skip
    # The step by what people call it (the next time is shown in the viewer's time zone, not here).
    assert enrollment_where(enrollment, graph()) == "v2 · at 'Calm?' · 3 steps · waiting for answer"
    titled = graph()
    titled["nodes"][1]["data"]["title"] = "Morning check-in"
    assert enrollment_where(enrollment, titled) == "v2 · at 'Morning check-in' · 3 steps · waiting for answer"
    # A step removed from the draft since keeps its id; steps that say nothing go by their kind.
    assert enrollment_where(enrollment, {"nodes": [], "edges": []}).startswith("v2 · at ask ·")
    assert editing.step_name(graph(), "split") == "Condition"
