"""The interpreter and the simulator: every node type, time zones and DST edges for waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.programs.engine import Context, Engine, Event, next_time_of_day, program_day
from backend.programs.graph import parse
from backend.programs.simulator import simulate
from backend.programs.state import initial_state
from backend.programs.templates import stoic_morning
from tests.programs.test_graph import e, n

LONDON = "Europe/London"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_wait_until_0700_london_across_spring_forward() -> None:
    # Saturday 29 March 2025 07:00 GMT -> Sunday 07:00 BST is only 23 hours later.
    first = next_time_of_day(utc(2025, 3, 29, 0, 0), "07:00", LONDON)
    assert first == utc(2025, 3, 29, 7, 0)
    second = next_time_of_day(first, "07:00", LONDON)
    assert second == utc(2025, 3, 30, 6, 0)
    assert second - first == timedelta(hours=23)


def test_wait_until_0700_london_across_fall_back() -> None:
    first = next_time_of_day(utc(2025, 10, 25, 0, 0), "07:00", LONDON)
    assert first == utc(2025, 10, 25, 6, 0)  # BST
    second = next_time_of_day(first, "07:00", LONDON)
    assert second == utc(2025, 10, 26, 7, 0)  # GMT
    assert second - first == timedelta(hours=25)


def test_gap_and_ambiguous_times() -> None:
    # 01:30 does not exist in London on 30 March 2025: it lands one hour later on the wall clock (02:30 BST).
    assert next_time_of_day(utc(2025, 3, 30, 0, 0), "01:30", LONDON) == utc(2025, 3, 30, 1, 30)
    # 01:30 happens twice on 26 October 2025: the first one (BST).
    assert next_time_of_day(utc(2025, 10, 25, 12, 0), "01:30", LONDON) == utc(2025, 10, 26, 0, 30)
    # New York springs forward on 9 March 2025.
    assert next_time_of_day(utc(2025, 3, 8, 12, 0), "07:00", "America/New_York") == utc(2025, 3, 8, 12, 0) + timedelta(
        days=1, hours=-1
    )
    # Strictly after: at exactly 07:00 the next one is tomorrow.
    assert next_time_of_day(utc(2025, 6, 1, 6, 0), "07:00", LONDON) == utc(2025, 6, 2, 6, 0)


def test_program_day_uses_member_dates() -> None:
    enrolled = utc(2025, 1, 1, 23, 30)  # already 2 January in Tokyo
    assert program_day(enrolled, utc(2025, 1, 2, 1, 0), "UTC") == 2
    assert program_day(enrolled, utc(2025, 1, 2, 1, 0), "Asia/Tokyo") == 1


def test_stoic_morning_sends_at_0700_local_through_the_dst_change() -> None:
    sim = simulate(
        parse(stoic_morning())[0],
        answers={"intention": [4] * 14},
        start_at=utc(2025, 3, 20, 12, 0),
        timezone=LONDON,
        name="Ada Lovelace",
    )
    assert sim.status == "completed", sim.detail
    mornings = [line for line in sim.transcript if line["node_id"] == "morning"]
    assert len(mornings) == 14
    assert all(line["local"][11:16] == "07:00" for line in mornings)
    offsets = {line["local"][-6:] for line in mornings}
    assert offsets == {"+00:00", "+01:00"}  # both sides of 30 March
    assert mornings[0]["text"].startswith("Morning 1 of 14.")
    assert [g["name"] for g in sim.goals] == ["7-morning streak", "Completed Stoic morning"]
    assert sim.transcript[0]["text"].startswith("Welcome, Ada.")
    assert sim.path[:5] == ["start", "welcome", "first_morning", "morning", "intention"]
    assert sim.path[-1] == "end"


def every_node_graph() -> dict[str, Any]:
    return {
        "nodes": [
            n("s", "start"),
            n("hello", "message", text="Hello {{name}}, day {{day}}"),
            n("q", "checkin", question="Mood?", kind="scale", min=1, max=5, window_minutes=60),
            n("c", "condition", source="answer", rules=[{"label": "low", "op": "lte", "value": 2}]),
            n("low", "message", text="Sorry to hear. Streak {{streak.q}}"),
            n("yn", "checkin", question="Walked?", kind="yes_no"),
            n("walked", "condition", source="answer", node="yn", rules=[{"label": "yes", "op": "eq", "value": True}]),
            n("num", "checkin", question="Steps?", kind="number"),
            n("free", "checkin", question="Why?", kind="free_text"),
            n("w", "wait", duration_minutes=30, or_event="journaled"),
            n("ev", "condition", source="event", event="journaled", rules=[{"label": "did", "op": "gte", "value": 1}]),
            n("g", "goal", name="Journaled", message="Goal!"),
            n("t", "twin", topic="the week", max_turns=2, window_minutes=10),
            n(
                "attr",
                "condition",
                source="attribute",
                attribute="timezone",
                rules=[{"label": "ldn", "op": "eq", "value": LONDON}],
            ),
            n("z", "end"),
        ],
        "edges": [
            e("s", "hello"),
            e("hello", "q"),
            e("q", "c"),
            e("q", "yn", "timeout"),
            e("c", "low", "low"),
            e("c", "yn", "else"),
            e("low", "yn"),
            e("yn", "walked"),
            e("walked", "num", "yes"),
            e("walked", "free", "else"),
            e("num", "w"),
            e("free", "w"),
            e("w", "ev"),
            e("ev", "g", "did"),
            e("ev", "t", "else"),
            e("g", "t"),
            e("t", "attr"),
            e("attr", "z", "ldn"),
            e("attr", "z", "else"),
        ],
    }


def test_every_node_type_through_the_engine() -> None:
    graph, issues = parse(every_node_graph())
    assert not issues
    engine = Engine(graph)
    now = utc(2025, 5, 1, 8, 0)
    ctx = Context(now, {"display_name": "Lucilius", "external_id": "l", "timezone": LONDON})
    out = engine.start(initial_state(now), ctx)
    assert [m for _, m in out.messages] == ["Hello Lucilius, day 1", "Mood? (1-5)"]
    assert out.timer is not None and out.timer.kind == "window" and out.timer.due_at == now + timedelta(minutes=60)
    state = out.state
    # an out-of-range answer is invalid; an answer for another node is stale
    assert engine.handle(state, Event("answer", "q", 9), ctx).status == "invalid"
    assert engine.handle(state, Event("answer", "yn", True), ctx).status == "stale"
    out = engine.handle(state, Event("answer", "q", 2), ctx)
    assert out.cancel_timer and [m for _, m in out.messages] == ["Sorry to hear. Streak 1", "Walked? (yes/no)"]
    out = engine.handle(out.state, Event("answer", None, "yes"), ctx)
    assert out.messages[-1][1] == "Steps?"
    out = engine.handle(out.state, Event("answer", None, "8000"), ctx)
    assert out.state["answers"]["num"] == 8000 and out.timer is not None and out.timer.kind == "wait"
    # a behaviour event named by the wait ends it early, and the event condition sees it
    out = engine.handle(out.state, Event("event", name="journaled"), ctx)
    assert out.goals == [("g", "Journaled", 1)]
    assert [m for _, m in out.messages] == ["Goal!", "Let's talk about the week. What is on your mind?"]
    assert out.state["waiting"] == "twin"
    out2 = engine.handle(out.state, Event("message", "t", "first"), ctx)
    assert out2.state["waiting"] == "twin" and out2.detail == "turn 1 of 2"
    out3 = engine.handle(out2.state, Event("message", "t", "second"), ctx)
    assert out3.completed and out3.state["path"][-2:] == ["attr", "z"]
    # the twin window closing also moves on
    out4 = engine.handle(out.state, Event("timer", "t", kind="window"), ctx)
    assert out4.completed


def test_checkin_window_timeout_and_stale_timer() -> None:
    graph = parse(every_node_graph())[0]
    engine = Engine(graph)
    now = utc(2025, 5, 1, 8, 0)
    ctx = Context(now, {"display_name": "", "timezone": "UTC"})
    out = engine.start(initial_state(now), ctx)
    assert out.messages[0][1] == "Hello there, day 1"
    late = Context(now + timedelta(hours=1), ctx.member)
    assert engine.handle(out.state, Event("timer", "w", kind="wait"), late).status == "stale"
    timed_out = engine.handle(out.state, Event("timer", "q", kind="window"), late)
    assert timed_out.state["node"] == "yn" and timed_out.state["streaks"]["q"] == 0
    assert timed_out.state["last_answer"] == {"node": "q", "value": None, "missed": True}


def test_simulator_stops_when_an_answer_is_missing_and_reports_path() -> None:
    g = {
        "nodes": [n("s", "start"), n("q", "checkin", question="Name a virtue", kind="free_text"), n("z", "end")],
        "edges": [e("s", "q"), e("q", "z")],
    }
    sim = simulate(parse(g)[0])
    assert sim.status == "waiting" and "q" in sim.detail and sim.path == ["s", "q"]
    sim = simulate(parse(g)[0], answers={"q": "courage"})
    assert sim.status == "completed" and [t["role"] for t in sim.transcript] == ["assistant", "member"]


def test_a_silent_member_finishes_stoic_morning() -> None:
    """Issue 20: the template used to message a member who never answers for ever ("Morning 400 of 14")."""
    sim = simulate(parse(stoic_morning())[0], answers={}, start_at=utc(2025, 3, 20, 12, 0), timezone=LONDON)
    assert sim.status == "completed", sim.detail
    mornings = [line for line in sim.transcript if line["node_id"] == "morning"]
    assert len(mornings) == 14 and mornings[-1]["text"].startswith("Morning 14 of 14.")
    assert [g["name"] for g in sim.goals] == ["Completed Stoic morning"]
