"""Sentence vectors pooled from a passage's forward pass, and the re-ranking score built on them."""

from __future__ import annotations

import functools

import numpy as np

from backend.knowledge.search import span_score, span_scores
from backend.knowledge.spans import encode_with_spans, pack, pool, sentence_ranges, unpack
from backend.lib.embeddings import DIMENSIONS, Embedder

PASSAGE = (
    "The harbour town wakes late in winter, and the fishing boats stay tied up for weeks at a time. "
    "The old keeper climbs the tower each dawn and polishes the great lens so that ships can find the harbour. "
    "Why? "
    "Gulls circle the market square where the fish sellers shout their prices over the noise of the carts."
)


@functools.cache
def _embedder() -> Embedder:
    return Embedder(batch_size=2)


def test_sentence_ranges_merge_short_sentences_into_the_next() -> None:
    text = "Yes. No. This sentence has at least eight words in it. Another one that is long enough to stand."
    ranges = sentence_ranges(text)
    assert [text[s:e] for s, e in ranges] == [
        "Yes. No. This sentence has at least eight words in it.",
        "Another one that is long enough to stand.",
    ]
    assert sentence_ranges("Too short.") == [(0, 10)]  # a short passage is still one sentence


def test_pool_averages_the_tokens_inside_each_range_and_skips_special_tokens() -> None:
    tokens = np.array([[9.0, 9.0], [1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [9.0, 9.0]], dtype=np.float32)
    offsets = np.array([[0, 0], [0, 3], [4, 7], [8, 11], [0, 0]])  # [CLS] abc def ghi [SEP]
    got = pool(tokens, offsets, [(0, 7), (8, 11), (20, 30)])
    assert got.shape == (2, 2)  # the empty range (no tokens) yields no vector
    np.testing.assert_allclose(got, [[1.0, 0.0], [0.0, 1.0]])


def test_pack_round_trips_as_float16_rows() -> None:
    rows = np.random.default_rng(1).standard_normal((3, DIMENSIONS)).astype(np.float32)
    back = unpack(pack(rows))
    assert back.shape == (3, DIMENSIONS)
    np.testing.assert_allclose(back, rows, atol=2e-3, rtol=1e-3)
    assert unpack(None).shape == (0, DIMENSIONS)


def test_passage_vectors_are_the_embedders_and_a_sentence_is_closer_to_its_question() -> None:
    embedder = _embedder()
    texts = [PASSAGE, "A second, unrelated passage about baking bread at home."]
    vectors, sentences = encode_with_spans(embedder, texts)
    np.testing.assert_allclose(vectors, embedder.encode_sync(texts), atol=1e-5)
    assert [len(s) for s in sentences] == [len(sentence_ranges(t)) for t in texts]
    assert np.allclose(np.linalg.norm(sentences[0], axis=1), 1.0, atol=1e-5)
    questions = ["When do the fishermen stop going out?", "Who polishes the lens in the tower at dawn?"]
    for sentence, query in enumerate(embedder.encode_sync(questions)):
        passage_cosine = float(vectors[0] @ query)
        # the answering sentence, not the passage's average, is what matches, and it is that question's sentence
        assert span_score(query, sentences[0], passage_cosine) > passage_cosine + 0.05
        assert int(np.argmax(sentences[0] @ query)) == sentence


def test_span_score_is_the_best_sentence_or_the_fallback() -> None:
    query = np.array([1.0, 0.0], dtype=np.float32)
    rows = np.array([[0.6, 0.8], [0.9, 0.1], [0.0, 1.0]], dtype=np.float32)
    assert span_score(query, rows, 0.2) == np.float32(0.9)
    assert span_score(query, np.zeros((0, 2), dtype=np.float32), 0.2) == 0.2


def test_span_scores_of_many_passages_equal_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    query = rng.standard_normal(DIMENSIONS).astype(np.float32)
    query /= np.linalg.norm(query)
    stored = [rng.standard_normal((n, DIMENSIONS)).astype(np.float32) for n in (3, 1, 0, 7)]
    packed = [pack(s) if len(s) else None for s in stored]
    fallbacks = [0.1, 0.2, 0.3, 0.4]
    got = span_scores(query, packed, fallbacks)
    want = [span_score(query, unpack(b), f) for b, f in zip(packed, fallbacks, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert got[2] == 0.3  # no sentence vectors: the fallback
    assert span_scores(query, [None, b""], [0.5, 0.6]).tolist() == [0.5, 0.6]


def test_encode_tokens_gives_each_texts_tokens_with_their_character_ranges() -> None:
    embedder = _embedder()
    texts = ["Short one.", PASSAGE, "Another text of middling length, here."]
    seen: dict[int, tuple[int, int]] = {}

    def each(i: int, tokens: np.ndarray, offsets: np.ndarray) -> int:
        seen[i] = (tokens.shape[0], offsets.shape[0])
        assert tokens.shape[1] == DIMENSIONS
        inner = offsets[offsets[:, 1] > offsets[:, 0]]
        assert inner[0][0] == 0 and inner[-1][1] == len(texts[i].rstrip())  # the tokens cover the text
        return i * 10

    vectors, results = embedder.encode_tokens_sync(texts, each)
    assert results == [0, 10, 20] and sorted(seen) == [0, 1, 2]
    assert all(t == o and t > 2 for t, o in seen.values())
    np.testing.assert_allclose(vectors, embedder.encode_sync(texts), atol=1e-5)
    assert embedder.encode_tokens_sync([], each)[1] == []
