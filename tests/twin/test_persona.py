"""Persona synthesis on real passages with real MiniLM embeddings, plus the cheap deterministic parts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from backend.twin.persona import PersonaProfile, address_form, llm_card_prompt, openers_closers, synthesize
from tests.twin import chunk, corpus, embed, seneca_letters

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seneca() -> PersonaProfile:
    passages = seneca_letters()[:300]
    background = [corpus("meditations.txt"), corpus("discourses.txt")]
    return synthesize(passages, embed(passages), name="Seneca", background_texts=background)


def test_themes_have_keywords_and_representative_passages(seneca: PersonaProfile) -> None:
    assert len(seneca.themes) == 6
    all_keywords = {w for t in seneca.themes for w in t.keywords}
    for t in seneca.themes:
        assert len(t.keywords) >= 4 and " & " in t.label
        assert 1 <= len(t.passages) <= 3
        assert all(p in seneca_letters() for p in t.passages)
    # Seneca's recurring subjects surface as theme keywords; labels differ from one another
    assert {"death", "friendship", "virtue", "philosophy", "wisdom", "fear"} & all_keywords, all_keywords
    assert len({t.label for t in seneca.themes}) == 6
    # generic words shared by every cluster must not dominate the labels
    assert sum(t.keywords[0] in {"man", "things", "men"} for t in seneca.themes) <= 1


def test_voice_address_openers_closers_and_phrases(seneca: PersonaProfile) -> None:
    assert seneca.address_form == "you"
    assert "Farewell." in seneca.closers
    assert any("lucilius" in p for p in seneca.signature_phrases), seneca.signature_phrases
    assert 15 < seneca.voice.avg_sentence_len < 35


def test_principles_are_normative_sentences(seneca: PersonaProfile) -> None:
    assert 4 <= len(seneca.principles) <= 8
    normative = ("must", "should", "ought", "let ", "not", "never")
    assert sum(any(n in p.lower() for n in normative) for p in seneca.principles) >= len(seneca.principles) - 2
    assert all(not p.endswith("?") for p in seneca.principles)


def test_dos_donts_and_card(seneca: PersonaProfile) -> None:
    assert any("'you'" in d for d in seneca.dos)
    assert any(f"around {round(seneca.voice.avg_sentence_len)} words" in d for d in seneca.dos)
    assert any("slang" in d for d in seneca.donts)
    for part in ("# Seneca", "## Themes", "## Principles", "## Do", "## Don't", seneca.themes[0].label):
        assert part in seneca.card


def test_round_trip_through_json(seneca: PersonaProfile) -> None:
    data = json.loads(json.dumps(seneca.to_dict()))
    data["added_by_a_future_version"] = 1
    again = PersonaProfile.from_dict(data)
    assert again == seneca


def test_llm_card_prompt_carries_passages_and_profile(seneca: PersonaProfile) -> None:
    messages = llm_card_prompt(seneca, "Seneca")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "[T1.1]" in messages[1]["content"] and seneca.themes[0].passages[0][:100] in messages[1]["content"]
    assert "Seneca" in messages[1]["content"]


def test_marcus_addresses_the_reader_as_thou_without_a_model() -> None:
    passages = [c for c in chunk(corpus("meditations.txt")[20000:80000]) if len(c.split()) >= 40][:60]
    rng = np.random.default_rng(0)
    profile = synthesize(passages, rng.normal(size=(len(passages), 16)), name="Marcus", background_texts=[], n_themes=3)
    assert profile.address_form == "thou"
    assert any("'thou'" in d for d in profile.dos)
    assert len(profile.themes) == 3 and profile.signature_phrases == []


def test_address_form_and_openers_heuristics() -> None:
    assert address_form(["My friend, hear me. My friend, listen! Friends, be calm."] * 2) == "friend"
    assert address_form(["You should rest. Your mind is tired."]) == "you"
    letters = [f"Believe me, text number {i} is here. Not at all. Farewell." for i in range(5)]
    openers, closers = openers_closers(letters)
    assert closers == ["Farewell."] and openers == ["Believe me"]


def test_synthesize_rejects_mismatched_embeddings() -> None:
    with pytest.raises(ValueError):
        synthesize(["a text"], np.zeros((2, 4)), name="x", background_texts=[])
