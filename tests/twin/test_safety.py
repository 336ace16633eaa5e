"""Safety screen: crisis phrasings flagged, idioms and ordinary sadness not, negations understood."""

from __future__ import annotations

import pytest

from backend.twin.safety import SafetyVerdict, assess, safe_reply


@pytest.mark.parametrize(
    ("text", "risk"),
    [
        ("I want to kill myself", "crisis"),
        ("i dont want to live anymore", "crisis"),
        ("I don’t want to wake up tomorrow", "crisis"),
        ("Sometimes I think everyone would be better off without me", "crisis"),
        ("I can't go on like this", "crisis"),
        ("I've been feeling suicidal for weeks", "crisis"),
        ("I keep thinking about suicide", "crisis"),
        ("I've started cutting myself again", "crisis"),
        ("I'm not suicidal but I feel hopeless and worthless", "crisis"),
        ("I'm going to kill my boss tomorrow", "violence"),
        ("My husband hits me when he drinks", "abuse"),
        ("I am scared to go home tonight", "abuse"),
        ("I have crushing chest pain and my arm is numb", "medical"),
        ("My friend passed out and is not breathing", "medical"),
    ],
)
def test_flags_risks(text: str, risk: str) -> None:
    verdict = assess(text)
    assert verdict.flagged, verdict
    assert verdict.risk == risk, verdict


@pytest.mark.parametrize(
    "text",
    [
        "I'm so sad we lost the game last night",
        "I'm sad my dog died last year, how do I stop dwelling on it?",
        "This deadline is killing me",
        "I could kill for a coffee right now",
        "I'm dying to read the next letter",
        "I feel a bit down today, how do I stay motivated?",
        "I'm not suicidal, just tired of my job",
        "I would never hurt myself, but how do I handle criticism?",
        "How should I face my fear of death?",
        "",
    ],
)
def test_does_not_flag_ordinary_messages(text: str) -> None:
    verdict = assess(text)
    assert not verdict.flagged, verdict


def test_suicide_as_a_philosophical_topic_is_sensitive_not_flagged() -> None:
    # Seneca writes about suicide; a student asking about it is not in crisis, but the caller is told.
    for text in ["What did Seneca think about suicide?", "I'm reading Seneca's letter on suicide for my essay"]:
        verdict = assess(text)
        assert (verdict.risk, verdict.flagged) == ("sensitive", False), verdict


@pytest.mark.parametrize("risk", ["crisis", "violence", "abuse", "medical"])
def test_safe_reply_gives_resources_and_no_coaching(risk: str) -> None:
    reply = safe_reply(SafetyVerdict(risk, True, "test"), "you")
    assert "findahelpline.com" in reply and "emergency number" in reply and "988" in reply
    assert "[1]" not in reply and "Farewell" not in reply


def test_safe_reply_address_form_and_distinct_bodies() -> None:
    assert safe_reply(SafetyVerdict("crisis", True, ""), "friend").startswith("My friend,")
    bodies = {safe_reply(SafetyVerdict(r, True, ""), "you") for r in ("crisis", "abuse", "medical")}
    assert len(bodies) == 3
    assert "emergency department" in safe_reply(SafetyVerdict("medical", True, ""))
