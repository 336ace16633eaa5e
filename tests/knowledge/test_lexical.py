"""The full-text leg's BM25 ordering."""

from __future__ import annotations

from backend.knowledge.lexical import bm25


def test_bm25_rewards_rare_terms_and_penalises_length() -> None:
    df = {"wrath": 3, "man": 900}
    terms = ["wrath", "man"]
    both = {"wrath": 1, "man": 1}
    assert bm25(terms, both, 2, df, 1000, 30) > bm25(terms, both, 62, df, 1000, 30)  # same counts, padded
    assert bm25(terms, both, 2, df, 1000, 30) > bm25(terms, {"man": 3}, 3, df, 1000, 30)
    assert bm25(["absent"], both, 2, df, 1000, 30) == 0.0
    assert bm25(terms, {"wrath": 2}, 2, df, 1000, 30) > bm25(terms, {"wrath": 1}, 2, df, 1000, 30)
