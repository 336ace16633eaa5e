"""Sentence vectors pooled from a passage's own forward pass ("late chunking"), for re-ranking.

A passage vector averages ~200 tokens, so a question answered by one sentence of it scores like the
passage's main topic. Encoding each sentence on its own is no help (measured on tests/bench/retrieval:
out of context, a sentence loses what it is about) and would double the model's work at ingestion. Instead,
the token vectors the model already computes for the passage are averaged over each sentence: every
sentence vector has seen the whole passage. Zero extra model calls; stored as float16 next to the passage.
"""

from __future__ import annotations

import re

import numpy as np

from backend.lib.embeddings import DIMENSIONS, Embedder

MIN_WORDS = 8  # shorter sentences ("Why?") join the next one: alone they match anything
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def sentence_ranges(text: str, min_words: int = MIN_WORDS) -> list[tuple[int, int]]:
    """(start, end) character ranges of `text`'s sentences, short ones merged into the next."""
    pieces: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        pieces.append((start, m.start()))
        start = m.end()
    pieces.append((start, len(text)))
    out: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for s, e in pieces:
        current = (current[0], e) if current else (s, e)
        if len(text[current[0] : current[1]].split()) >= min_words:
            out.append(current)
            current = None
    if current and text[current[0] : current[1]].strip():
        out.append(current)
    return out


def pool(tokens: np.ndarray, offsets: np.ndarray, ranges: list[tuple[int, int]]) -> np.ndarray:
    """Unit-length mean of the token vectors inside each character range (special tokens have empty offsets)."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    rows = []
    for s, e in ranges:
        inside = (starts >= s) & (ends <= e) & (ends > starts)
        if inside.any():
            v = tokens[inside].mean(axis=0)
            rows.append(v / max(float(np.linalg.norm(v)), 1e-12))
    return np.asarray(rows, dtype=np.float32).reshape(-1, tokens.shape[1])


def pack(spans: np.ndarray) -> bytes:
    return np.asarray(spans, dtype="<f2").tobytes()


def unpack(blob: bytes | None) -> np.ndarray:
    if not blob:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.frombuffer(blob, dtype="<f2").reshape(-1, DIMENSIONS).astype(np.float32)


def encode_with_spans(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Passage vectors, exactly as `embedder.encode` makes them, and each passage's sentence vectors."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32), []
    return embedder.encode_tokens_sync(
        texts, lambda i, tokens, offsets: pool(tokens, offsets, sentence_ranges(texts[i]))
    )
