"""Shared helpers for the twin tests: corpus chunking and cached real-model embeddings."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numpy as np

from backend.twin.style import sentences, words
from tests.corpora import CORPORA


def corpus(name: str) -> str:
    return (CORPORA / name).read_text(encoding="utf-8")


def chunk(text: str, size: int = 100) -> list[str]:
    """Sentence-aligned windows of ~size words, the way a retrieval layer would cut them."""
    out: list[str] = []
    cur: list[str] = []
    for s in sentences(text):
        cur.append(s)
        if sum(len(words(x)) for x in cur) >= size:
            out.append(" ".join(cur))
            cur = []
    if cur:
        out.append(" ".join(cur))
    return out


@functools.cache
def embedder():  # type: ignore[no-untyped-def]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from backend.lib.embeddings import Embedder

    return Embedder()


def embed(texts: list[str]) -> np.ndarray:
    """Real MiniLM embeddings, cached on disk: two CPUs need ~50 s for the test corpora."""
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = Path(f"/tmp/coachtwin-twin-emb-{key}.npy")
    if path.exists():
        return np.load(path)
    vectors = embedder().encode_sync(texts)
    np.save(path, vectors)
    return vectors


@functools.cache
def seneca_letters() -> list[str]:
    return [c for c in chunk(corpus("moral_letters_to_Lucilius.txt")[20000:170000]) if len(words(c)) >= 40]


@functools.cache
def seneca_shortness() -> list[str]:
    return [c for c in chunk(corpus("on_the_shortness_of_life.txt")[2000:]) if len(words(c)) >= 40]
