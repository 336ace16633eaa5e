"""The full-text leg's pieces: tsvector parsing, BM25 ordering."""

from __future__ import annotations

from collections import Counter

from backend.knowledge.lexical import bm25, parse_tsvector


def test_parse_tsvector_counts_positions_and_quotes() -> None:
    parsed = parse_tsvector("'anger':3,17,40 'delay':5 'o''brien':9A")
    assert parsed == Counter({"anger": 3, "delay": 1, "o'brien": 1})


def test_bm25_rewards_rare_terms_and_penalises_length() -> None:
    df = {"wrath": 3, "man": 900}
    short = Counter({"wrath": 1, "man": 1})
    padded = Counter({"wrath": 1, "man": 1, **{f"w{i}": 1 for i in range(60)}})
    common_only = Counter({"man": 3})
    assert bm25(["wrath", "man"], short, df, 1000, 30) > bm25(["wrath", "man"], padded, df, 1000, 30)
    assert bm25(["wrath", "man"], short, df, 1000, 30) > bm25(["wrath", "man"], common_only, df, 1000, 30)
    assert bm25(["absent"], short, df, 1000, 30) == 0.0
