"""The full-text leg's pieces: tsvector parsing, feedback terms, BM25 ordering."""

from __future__ import annotations

from collections import Counter

from backend.knowledge.lexical import bm25, expansion, parse_tsvector


def test_parse_tsvector_counts_positions_and_quotes() -> None:
    parsed = parse_tsvector("'anger':3,17,40 'delay':5 'o''brien':9A")
    assert parsed == Counter({"anger": 3, "delay": 1, "o'brien": 1})


def test_expansion_prefers_terms_shared_by_feedback_and_rare_in_the_tenant() -> None:
    seeds = [
        Counter({"wrath": 2, "man": 3, "delay": 1}),
        Counter({"wrath": 1, "man": 1}),
        Counter({"man": 1, "sea": 1}),
    ]
    df = {"wrath": 3, "man": 900, "delay": 40, "sea": 10}
    terms = expansion({"anger"}, seeds, df, 1000)
    assert terms[0] == "wrath"  # in two feedback passages and rare
    assert terms.index("man") > terms.index("wrath")  # everywhere in the corpus: weak evidence
    assert "anger" not in terms


def test_bm25_rewards_rare_terms_and_penalises_length() -> None:
    df = {"wrath": 3, "man": 900}
    short = Counter({"wrath": 1, "man": 1})
    padded = Counter({"wrath": 1, "man": 1, **{f"w{i}": 1 for i in range(60)}})
    common_only = Counter({"man": 3})
    assert bm25(["wrath", "man"], short, df, 1000, 30) > bm25(["wrath", "man"], padded, df, 1000, 30)
    assert bm25(["wrath", "man"], short, df, 1000, 30) > bm25(["wrath", "man"], common_only, df, 1000, 30)
    assert bm25(["absent"], short, df, 1000, 30) == 0.0
