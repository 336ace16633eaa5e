"""Starter programs built from the sample corpora's themes (Marcus Aurelius, Epictetus, Seneca).

Each is a plain graph in the canvas format, so the hub can show it, and `POST /programs/import` turns it
into a draft the creator edits before publishing.
"""

from __future__ import annotations

from typing import Any

EXPORT_FORMAT = "coachtwin.program/v1"

_MORNINGS = [
    "Begin the morning by saying to thyself: I shall meet with the busy-body, the ungrateful, the arrogant. "
    "None of them can harm me, for none can fix on me what is ugly. (Marcus Aurelius, Meditations II)",
    "When thou risest unwillingly, let this thought be present: I am rising to the work of a human being. "
    "(Meditations V)",
    "We must make the best of those things that are in our power, and take the rest as nature gives it. "
    "(Epictetus, Discourses I)",
    "In our power are will and all operations of the will; beyond our power are the body, possessions, "
    "reputation. Where will you place the good today? (Epictetus)",
    "It is not the shortness of life but our waste of it: hold every hour in your grasp. (Seneca)",
    "Confine yourself to the present. (Marcus Aurelius, Meditations VII)",
    "Do every act of thy life as if it were the last. (Meditations II)",
    "Men are disturbed not by things, but by the opinions about things. (Epictetus)",
    "Look within. Within is the fountain of good, and it will ever bubble up, if thou wilt ever dig. (Meditations VII)",
    "Wherever a man can live, there he can also live well. (Meditations V)",
    "Waste no more time arguing about what a good man should be. Be one. (Meditations X)",
    "While we are postponing, life speeds by. (Seneca, Letters I)",
    "Very little is needed to make a happy life; it is all within yourself, in your way of thinking. (Meditations VII)",
    "The happiness of your life depends upon the quality of your thoughts. (Meditations III)",
]


def _n(node_id: str, type_: str, x: float, y: float, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "position": {"x": x, "y": y}, "data": data}


def _e(source: str, target: str, label: str | None = None) -> dict[str, Any]:
    edge: dict[str, Any] = {"id": f"e-{source}-{target}", "source": source, "target": target}
    if label:
        edge["label"] = label
        edge["sourceHandle"] = label
        edge["id"] += f"-{label}"
    return edge


def stoic_morning() -> dict[str, Any]:
    """14 days: every morning at 07:00 member time a passage and an intention check-in; a 7-day streak goal."""
    nodes = [
        _n("start", "start", 0, 0),
        _n(
            "welcome",
            "message",
            0,
            120,
            text="Welcome, {{first_name}}. For fourteen mornings we will practise as the Stoics did: a short "
            "passage at 07:00, one question, and a moment to decide what is in your power today.",
        ),
        _n("first_morning", "wait", 0, 240, until="07:00"),
        _n("morning", "message", 0, 360, text="Morning {{visits.morning}} of 14.", variants=_MORNINGS),
        _n(
            "intention",
            "checkin",
            0,
            480,
            question="How ready do you feel to meet today's obstacles calmly?",
            kind="scale",
            min=1,
            max=5,
            window_minutes=12 * 60,
            metric=True,  # a self-reported metric: analytics compares each member's first and latest answer
        ),
        _n(
            "low",
            "condition",
            0,
            600,
            source="answer",
            node="intention",
            rules=[{"label": "low", "op": "lte", "value": 2}],
        ),
        _n(
            "support",
            "message",
            -260,
            720,
            text="Then begin small. Name one thing today that is up to you, and one that is not; give your effort "
            "only to the first.",
        ),
        _n(
            "streak",
            "goal",
            0,
            840,
            name="7-morning streak",
            streak_of="intention",
            target=7,
            message="Seven mornings in a row, {{first_name}}. That is a practice, not a mood.",
        ),
        _n(
            "done",
            "condition",
            0,
            960,
            source="attribute",
            attribute="visits.morning",
            rules=[{"label": "finished", "op": "gte", "value": 14}],
        ),
        _n("next_morning", "wait", 260, 1080, until="07:00"),
        _n("complete", "goal", -260, 1080, name="Completed Stoic morning"),
        _n(
            "farewell",
            "message",
            -260,
            1200,
            text="Fourteen mornings. Keep the habit: begin each day by deciding what is yours to do.",
        ),
        _n("end", "end", -260, 1320),
    ]
    edges = [
        _e("start", "welcome"),
        _e("welcome", "first_morning"),
        _e("first_morning", "morning"),
        _e("morning", "intention"),
        _e("intention", "low"),
        # A morning without an answer still counts towards the fourteen: a silent member's program ends too.
        _e("intention", "done", "timeout"),
        _e("low", "support", "low"),
        _e("low", "streak", "else"),
        _e("support", "streak"),
        _e("streak", "done"),
        _e("done", "complete", "finished"),
        _e("done", "next_morning", "else"),
        _e("next_morning", "morning"),
        _e("complete", "farewell"),
        _e("farewell", "end"),
    ]
    return {"nodes": nodes, "edges": edges}


def evening_review() -> dict[str, Any]:
    """Three evenings of Seneca's nightly self-examination: a question, a short talk with the twin, a rating."""
    nodes = [
        _n("start", "start", 0, 0),
        _n(
            "intro",
            "message",
            0,
            120,
            text="Seneca ended each day by examining it: what did I do well, where did I fall short? "
            "For three evenings, at 21:00, we will do the same, {{first_name}}.",
        ),
        _n("evening", "wait", 0, 240, until="21:00"),
        _n(
            "review",
            "checkin",
            0,
            360,
            question="What did you do well today, and where did you fall short?",
            kind="free_text",
            window_minutes=180,
        ),
        _n(
            "talk",
            "twin",
            0,
            480,
            topic="today's review",
            max_turns=3,
            window_minutes=60,
            prompt="Thank you. Shall we look at one moment from today together? Tell me about it.",
        ),
        _n(
            "rating",
            "checkin",
            0,
            600,
            question="How well did you live by your principles today?",
            kind="scale",
            min=1,
            max=10,
            window_minutes=60,
            metric=True,
        ),
        _n(
            "judge",
            "condition",
            0,
            720,
            source="answer",
            node="rating",
            rules=[{"label": "good", "op": "gte", "value": 7}],
        ),
        _n("good", "message", -260, 840, text="A good day. Note what made it so, and sleep well."),
        _n(
            "gentle",
            "message",
            260,
            840,
            text="Be gentle with yourself: 'I will keep constant watch over myself, and review each day.' "
            "Tomorrow is another attempt.",
        ),
        _n(
            "again",
            "condition",
            0,
            960,
            source="attribute",
            attribute="visits.evening",
            rules=[{"label": "finished", "op": "gte", "value": 3}],
        ),
        _n("reviewer", "goal", -260, 1080, name="Three evening reviews"),
        _n("end", "end", -260, 1200),
    ]
    edges = [
        _e("start", "intro"),
        _e("intro", "evening"),
        _e("evening", "review"),
        _e("review", "talk"),
        _e("review", "again", "timeout"),
        _e("talk", "rating"),
        _e("talk", "rating", "timeout"),
        _e("rating", "judge"),
        _e("rating", "again", "timeout"),
        _e("judge", "good", "good"),
        _e("judge", "gentle", "else"),
        _e("good", "again"),
        _e("gentle", "again"),
        _e("again", "reviewer", "finished"),
        _e("again", "evening", "else"),
        _e("reviewer", "end"),
    ]
    return {"nodes": nodes, "edges": edges}


# Step titles: what the builder shows and what problems call each step.
TITLES = {
    "welcome": "Welcome", "first_morning": "First morning", "morning": "Morning passage",
    "intention": "Morning intention", "low": "Low readiness?", "support": "Begin small",
    "streak": "7-morning streak", "done": "Fourteen mornings yet?", "next_morning": "Next morning",
    "complete": "Completed", "farewell": "Farewell",
    "intro": "Introduction", "evening": "Evening at 21:00", "review": "Evening review", "talk": "Talk it over",
    "rating": "Rate the day", "judge": "Good day?", "good": "A good day", "gentle": "Be gentle",
    "again": "Three evenings yet?", "reviewer": "Three reviews",
}  # fmt: skip


def _titled(graph: dict[str, Any]) -> dict[str, Any]:
    """Titles on the steps, and rows spaced for steps that show one (a title makes a step taller)."""
    for node in graph["nodes"]:
        if node["id"] in TITLES:
            node["data"]["title"] = TITLES[node["id"]]
        node["position"]["y"] = round(node["position"]["y"] * 1.4)
    return graph


TEMPLATES: dict[str, dict[str, Any]] = {
    "stoic-morning": {
        "name": "Stoic morning",
        "description": "14 days: a passage at 07:00 member time, an intention check-in, a 7-morning streak goal.",
        "build": stoic_morning,
    },
    "evening-review": {
        "name": "Evening review",
        "description": "3 evenings of Seneca's self-examination at 21:00: a question, a twin exchange, a rating.",
        "build": evening_review,
    },
}


def template(key: str) -> dict[str, Any] | None:
    t = TEMPLATES.get(key)
    if t is None:
        return None
    return {"key": key, "name": t["name"], "description": t["description"], "graph": _titled(t["build"]())}


def all_templates() -> list[dict[str, Any]]:
    return [t for key in TEMPLATES if (t := template(key)) is not None]
