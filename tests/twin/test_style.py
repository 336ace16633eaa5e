"""Style: distinct voices are measurably distinct; signature phrases find what is the author's own."""

from __future__ import annotations

import functools
import random
import statistics

from backend.twin.style import StyleProfile, sentences, signature_phrases, style_distance, style_profile
from tests.twin import corpus

CORPORATE = [
    "Hey team! Just wanted to quickly follow up on the Q3 deliverables. We're gonna leverage our synergies "
    "to hit the KPIs, so let's circle back tomorrow.",
    "Our company is committed to delivering best-in-class solutions for customers. Please review the attached "
    "onboarding checklist and reach out to HR if you have questions.",
    "To reset your password, click the link in the email we sent you. If it doesn't arrive within five "
    "minutes, check your spam folder or contact support.",
    "Quarterly revenue grew 12% year over year, driven by strong demand in cloud services. We expect margins "
    "to improve as we scale our operations.",
    "I think you should totally try the new productivity app, it's super easy and it syncs with your calendar. "
    "Honestly it changed my workflow!",
]


def samples(text: str, n: int = 12, size: int = 120) -> list[str]:
    ws = text.split()
    rng = random.Random(1)
    return [" ".join(ws[i : i + size]) for i in (rng.randrange(0, len(ws) - size) for _ in range(n))]


@functools.cache
def profiles() -> tuple[StyleProfile, StyleProfile]:
    # Train on one part of each book, test on samples from another part (held out).
    return style_profile([corpus("moral_letters_to_Lucilius.txt")[20000:800000]]), style_profile(
        [corpus("meditations.txt")[:150000]]
    )


def mean_distance(profile: StyleProfile, texts: list[str]) -> float:
    return statistics.fmean(style_distance(profile, t) for t in texts)


def test_profile_features_reflect_the_text() -> None:
    seneca, marcus = profiles()
    assert marcus.formality > 0.8 and seneca.formality > 0.6
    assert 12 < seneca.avg_sentence_len < 35
    assert "death" in seneca.top_words or "life" in seneca.top_words
    chat = style_profile(["Hey, don't worry! It's gonna be ok. Why not grab a coffee? Call me."])
    assert chat.formality < 0.3
    assert chat.question_rate == 0.25 and chat.imperative_rate >= 0.25
    assert chat.second_person_rate == 0.0 and chat.first_person_rate > 0.0


def test_seneca_marcus_and_corporate_are_distinguishable() -> None:
    seneca, marcus = profiles()
    sen = samples(corpus("moral_letters_to_Lucilius.txt")[850000:])
    mar = samples(corpus("meditations.txt")[150000:])
    d_sen, d_mar, d_corp = (mean_distance(seneca, x) for x in (sen, mar, CORPORATE))
    assert d_sen < d_mar < d_corp, (d_sen, d_mar, d_corp)
    assert d_corp - d_sen > 0.1
    assert all(style_distance(seneca, c) > d_sen for c in CORPORATE)
    # and from Marcus's side: his own held-out text is closer than Seneca's
    assert mean_distance(marcus, mar) + 0.05 < mean_distance(marcus, sen)


def test_distance_is_bounded_and_robust_for_short_replies() -> None:
    seneca, _ = profiles()
    short_own = "Nothing, Lucilius, is ours except time. Hold every hour in your grasp."
    short_chat = "Hey, let's sync on the deck tomorrow, ok? It's gonna be awesome!"
    assert 0.0 <= style_distance(seneca, short_own) < style_distance(seneca, short_chat) <= 1.0
    assert style_distance(seneca, "") == 1.0
    assert style_distance(seneca, "Yes.") <= 1.0


def test_sentences_ignore_section_numbers_and_footnotes() -> None:
    assert sentences("5. What is the state of things, then?[1] It is this. Farewell.") == [
        "What is the state of things, then?",
        "It is this.",
        "Farewell.",
    ]


def test_signature_phrases_of_seneca_letters() -> None:
    background = [corpus("meditations.txt"), corpus("discourses.txt")]
    phrases = signature_phrases([corpus("moral_letters_to_Lucilius.txt")], background, k=25)
    assert len(phrases) == 25
    assert any("lucilius" in p for p in phrases), phrases
    assert any(p in phrases for p in ("wise man", "the wise man", "happy life", "the happy life")), phrases
    for p in phrases:
        ws = p.split()
        assert 2 <= len(ws) <= 4 and not all(w in {"the", "of", "and", "a", "to", "in", "is"} for w in ws)
    # Marcus against the others: his "thou/thy" register and his vocabulary
    marcus = signature_phrases([corpus("meditations.txt")], [corpus("moral_letters_to_Lucilius.txt")], k=15)
    assert any(w in p for p in marcus for w in ("thy", "thou")), marcus
    assert any("nature" in p or "ruling faculty" in p for p in marcus), marcus


def test_signature_phrases_do_not_span_sentences() -> None:
    corpus_texts = ["Keep calm. Carry on. " * 10 + "Keep calm and carry on. " * 3]
    phrases = signature_phrases(corpus_texts, ["Nothing here is relevant at all."], k=10)
    assert "calm carry" not in phrases
    assert "keep calm" in phrases or "carry on" in phrases
