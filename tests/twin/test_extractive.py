"""The offline answer and the grounding decision, measured on real Seneca passages with real MiniLM."""

from __future__ import annotations

import re

import numpy as np
import pytest

from backend.twin.extractive import EXTRACTIVE_NOTE, Passage, compose_extractive, is_grounded, lexical_overlap
from backend.twin.persona import PersonaProfile
from backend.twin.style import StyleProfile
from tests.twin import embed, seneca_letters, seneca_shortness

ON_TOPIC = [
    "How can I stop wasting my time?",
    "Why do people say life is short?",
    "How should I face my fear of death?",
    "What makes a true friend?",
    "Is it wrong to want more money?",
    "How should I read books to learn?",
    "How do I find peace of mind in a busy city?",
    "I worry constantly about the future, what should I do?",
    "How do I grow old gracefully?",
]
OFF_TOPIC = [
    "How do I file my tax return?",
    "What is the best GPU for machine learning?",
    "How do I reset my wifi router?",
    "What's a good recipe for chocolate chip cookies?",
    "How do I configure Kubernetes ingress?",
    "Which smartphone has the best camera?",
    "How do I fix a leaking faucet?",
    "What are the rules of cricket?",
    "How do I improve my SEO ranking?",
]


@pytest.fixture(scope="module")
def index() -> tuple[list[str], np.ndarray]:
    texts = seneca_shortness() + seneca_letters()
    return texts, embed(texts)


def search(index: tuple[list[str], np.ndarray], question: str, k: int = 5) -> list[Passage]:
    texts, vectors = index
    scores = vectors @ embed([question])[0]
    return [
        Passage(f"c{i}", texts[i], float(scores[i]), "doc", "Letters", {"chunk": int(i)})
        for i in np.argsort(-scores)[:k]
    ]


def persona(form: str) -> PersonaProfile:
    voice = StyleProfile(20, 10, 0.1, 0.05, 0.02, 0.03, 0.8, 0.8, [])
    return PersonaProfile(voice, form, ["The wise man"], ["Farewell."], [], [], [], [], [], "")


@pytest.mark.slow
def test_grounding_separates_on_and_off_topic_questions(index: tuple[list[str], np.ndarray]) -> None:
    on = {q: search(index, q) for q in ON_TOPIC}
    off = {q: search(index, q) for q in OFF_TOPIC}
    best_on = {q: p[0].score for q, p in on.items()}
    best_off = {q: p[0].score for q, p in off.items()}
    report = f"on-topic best cosine {sorted(best_on.values())}\noff-topic best cosine {sorted(best_off.values())}"
    print(report)  # the measured thresholds (pytest -s shows them)
    assert max(best_off.values()) < 0.3 < 0.35 < min(best_on.values()), report
    assert all(is_grounded(q, p) for q, p in on.items()), report
    assert not any(is_grounded(q, p) for q, p in off.items()), report


def test_grounding_rules_without_a_model() -> None:
    p = [Passage("a", "Time flies, and life is short; hold every hour in your grasp.", 0.36)]
    assert is_grounded("How do I stop wasting time?", p)  # middling score, shares "time"
    assert not is_grounded("How do I file my tax return?", [Passage("a", p[0].text, 0.36)])  # no shared words
    assert is_grounded("anything", [Passage("a", "unrelated", 0.5)])  # strong score alone suffices
    assert not is_grounded("time", [Passage("a", "time time", 0.2)])  # too weak even with overlap
    assert not is_grounded("time", [])
    assert is_grounded("time", [Passage("a", "time", 0.2)], min_score=0.1)  # thresholds are parameters
    assert lexical_overlap("How do I deal with my fears?", "He feared nothing.") == 1.0  # light stemming


@pytest.mark.slow
def test_extractive_answer_quotes_and_cites_relevant_passages(index: tuple[list[str], np.ndarray]) -> None:
    question = "How should I face my fear of death?"
    passages = search(index, question)
    reply, cited = compose_extractive(question, passages, persona("you"), max_sentences=4)
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", reply)]
    assert markers == list(range(1, len(cited) + 1)) and 1 <= len(cited) <= 4
    assert all(c in passages for c in cited)
    quotes = re.findall(r"“(.+?)” \[\d+\]", reply, re.S)
    for quote, passage in zip(quotes, cited, strict=True):
        for part in quote.split("… "):
            assert part.strip() in passage.text  # verbatim: extractive means quoted, never paraphrased
    assert any(w in " ".join(quotes).lower() for w in ("death", "die", "fear"))
    assert "your question" in reply and reply.rstrip().endswith(EXTRACTIVE_NOTE)
    assert "Farewell." in reply


def test_address_form_frames_the_reply() -> None:
    passages = [
        Passage("p1", "Life is long if you know how to use it. Most of it is wasted in trifles.", 0.6),
        Passage("p2", "Nothing at all is ours except our time. The crowd squanders it without a thought.", 0.5),
    ]
    thou, _ = compose_extractive("How should I use my time?", passages, persona("thou"), note=None)
    assert "thy question" in thou and "your" not in thou.split("\n")[0]
    friend, cited = compose_extractive("How should I use my time?", passages, persona("friend"))
    assert friend.startswith("My friend,") and {c.id for c in cited} == {"p1", "p2"}
    plain, _ = compose_extractive("How should I use my time?", passages, None, note=None)
    assert plain.startswith("Here is what the source material says") and "Farewell" not in plain
    # the sentence that answers "time" is preferred to the one that does not
    one, cited = compose_extractive("How should I use my time?", passages, None, max_sentences=1)
    assert "time" in one.split("\n\n")[1] and len(cited) == 1


def test_nothing_quotable_is_said_plainly() -> None:
    reply, cited = compose_extractive("time?", [Passage("x", "Too short.", 0.9)], persona("thou"))
    assert cited == [] and "thy question" in reply
    assert compose_extractive("time?", [], None) == ("I find nothing in my writings that answers your question.", [])
