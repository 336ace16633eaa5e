"""The chat turn's decisions before and after retrieval: small talk, out-of-scope requests, hard moments, the
gate. Phrase-level rules are checked here without a model; the gate's figures come from the harness
(tests/bench/retrieval) and its regression check from tests/chat/test_grounding_api.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from backend.twin.calibration import NULL_QUESTIONS, Calibration, DomainModel, measure
from backend.twin.grounding import answerable, decide, screen
from backend.twin.intents import classify, out_of_scope_reply, smalltalk_reply
from backend.twin.safety import acknowledge, hard_moment, nothing_written

ON_TOPIC = [
    "How do I stop caring so much about what my coworkers think of me?",
    "I'm stressed about money and can't sleep. How do I calm down?",
    "My illness limits what my body can do. Does it have to limit who I am?",
    "My landlord is threatening to take me to court and I keep imagining the worst.",
    "I want to run a marathon but I'm not sure I know what I'm signing up for.",
    "Thanks for earlier. How do I forgive my brother?",
    "Should I start eating well and exercising next Monday or today?",
]


@pytest.mark.parametrize(
    ("text", "kind", "label"),
    [
        ("hi", "smalltalk", "greeting"),
        ("Good morning!", "smalltalk", "greeting"),
        ("thank you so much", "smalltalk", "thanks"),
        ("ok cool", "smalltalk", "ack"),
        ("Who are you?", "smalltalk", "identity"),
        ("see you later", "smalltalk", "bye"),
        ("How many mg of ibuprofen can I take?", "out_of_scope", "medical"),
        ("Is it legal to fire someone for that?", "out_of_scope", "legal"),
        ("Should I invest in index funds?", "out_of_scope", "money"),
        ("Give me a 12-week workout plan", "out_of_scope", "plan"),
        ("My laptop won't connect to wifi", "out_of_scope", "tech"),
        ("Where can I eat the best pizza in Naples?", "out_of_scope", "places"),
        ("When was Cicero born?", "out_of_scope", "facts"),
    ],
)
def test_intents(text: str, kind: str, label: str) -> None:
    intent = classify(text)
    assert intent is not None and (intent.kind, intent.label) == (kind, label)


@pytest.mark.parametrize("text", ON_TOPIC)
def test_questions_about_feelings_on_such_matters_stay_in_scope(text: str) -> None:
    assert classify(text) is None


def test_replies_to_small_talk_and_out_of_scope_are_kind_and_in_voice() -> None:
    hello = smalltalk_reply(classify("hello"), "Seneca", ["time", "friendship"], "you")  # type: ignore[arg-type]
    assert hello.startswith("Hello!") and "time, friendship" in hello
    thou = smalltalk_reply(classify("thanks"), "Marcus", [], "thou")  # type: ignore[arg-type]
    assert "Thou art welcome" in thou
    who = smalltalk_reply(classify("who are you?"), "Epictetus", [], "you")  # type: ignore[arg-type]
    assert "digital twin of Epictetus" in who
    dose = out_of_scope_reply(classify("What dose of melatonin?"), "you")  # type: ignore[arg-type]
    assert "a doctor or a pharmacist" in dose and "won't guess" in dose
    assert "thee" in out_of_scope_reply(classify("Is it legal to do that?"), "thou")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("My father just died and I can't focus", "grief"),
        ("We lost our dog last week and the house feels empty", "grief"),
        ("I was diagnosed with cancer and I'm scared", "illness"),
        ("My girlfriend broke up with me yesterday", "breakup"),
        ("I'm completely burned out at work", "burnout"),
        ("I got laid off today", "burnout"),
        ("How do I stop wasting my time?", None),
        ("What did Seneca say about the death of a friend?", None),
    ],
)
def test_hard_moments(text: str, kind: str | None) -> None:
    assert hard_moment(text) == kind


def test_hard_moment_replies_are_warm_and_never_bare() -> None:
    assert acknowledge("grief").startswith("I am so sorry for your loss.")
    assert acknowledge("grief", "friend").startswith("My friend, I am so sorry")
    assert acknowledge("burnout", "friend").startswith("My friend, that sounds exhausting.")
    assert "thy" in acknowledge("breakup", "thou")
    assert "someone close" in nothing_written("grief") and "won't pretend" in nothing_written("grief")


def test_screen_orders_crisis_before_everything() -> None:
    s = screen("My mum died and I want to kill myself")
    assert s.verdict.flagged and not s.retrieve and s.moment is None
    s = screen("thanks, my mum died last week")
    assert s.intent is None and s.moment == "grief" and s.retrieve  # grief is not small talk
    assert not screen("hello").retrieve


@dataclass
class H:
    score: float


def test_the_gate_needs_a_coaching_question_and_a_corpus_that_reaches_it() -> None:
    null = Calibration(mean=0.25, std=0.05, n=50)
    assert answerable(0.1, [H(0.4)], null)
    assert not answerable(-0.2, [H(0.9)], null)  # a strong match for a question no coach answers
    assert not answerable(0.3, [H(0.2)], null)  # a coaching question the corpus does not reach
    assert not answerable(0.3, [], null)
    d = decide(screen("hi"), 0.5, [H(0.9)], null)
    assert (d.reply, d.grounded) == ("smalltalk", False)
    d = decide(screen("How do I stop being angry?"), 0.2, [H(0.5)], null)
    assert (d.reply, d.grounded, d.score) == ("answer", True, 0.5)
    assert decide(screen("How do I stop being angry?"), 0.2, [H(0.1)], null).reply == "not_found"


def test_domain_model_and_null_measure() -> None:
    coaching = np.eye(4, dtype=np.float32)[:2]
    null = np.eye(4, dtype=np.float32)[2:]
    model = DomainModel(coaching, null, k=1)
    assert model.score(np.array([1, 0, 0, 0], dtype=np.float32)) == 1.0
    assert model.score(np.array([0, 0, 1, 0], dtype=np.float32)) == -1.0

    async def top(question: str) -> float:
        return 0.2 if len(question) % 2 else 0.4

    import asyncio

    c = asyncio.run(measure(top))
    assert c.n == len(NULL_QUESTIONS) and 0.2 <= c.mean <= 0.4 and c.floor() == c.mean


def test_no_harness_question_trips_the_screen() -> None:
    """The screen names services asked for, not topics: every on-topic harness question reaches retrieval."""
    import json
    from pathlib import Path

    harness = Path(__file__).resolve().parents[1] / "bench" / "retrieval"
    on = json.loads((harness / "questions.json").read_text())
    assert [q["question"] for q in on if not screen(q["question"]).retrieve] == []
    off = json.loads((harness / "offtopic.json").read_text())
    assert len(off) >= 60 and {q["kind"] for q in off} == {"trap", "general", "chitchat"}
    chit = [q for q in off if q["kind"] == "chitchat"]
    assert all((i := classify(q["question"])) is not None and i.kind == "smalltalk" for q in chit)
