"""Hybrid retrieval: candidates from the vector leg (Chroma) and the full-text leg (PostgreSQL BM25), re-ranked
by how close the question is to the best sentence of each passage, then de-duplicated.

Both legs only see the caller's tenant: Chroma through the tenant's own collection, PostgreSQL through RLS
(and, for the full-text match, a function that filters on the transaction's tenant itself: lexical.py).

Why re-rank rather than fuse ranks: the questions people ask are answered by one sentence of a ~200-token
passage, and a passage vector averages the whole passage. Each passage carries its sentences' vectors,
pooled from the passage's own forward pass at ingestion (backend/knowledge/spans.py), so the re-ranking
costs no model call. Reciprocal-rank fusion and score fusion with BM25 were measured and rejected (see
tests/bench/retrieval/README.md): the full-text leg's value is the passages it adds to the candidates.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
import uuid
from collections.abc import Awaitable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.knowledge import spans
from backend.knowledge.lexical import PASSAGE, lexical_leg
from backend.lib.embeddings import DIMENSIONS
from backend.lib.platform import Platform

Mode = Literal["hybrid", "vector", "fulltext"]
CANDIDATES = 40  # from each leg
_WORD = re.compile(r"[a-z0-9']+")

_ROWS = text(f"SELECT {PASSAGE} FROM chunks c WHERE c.id = ANY(:ids)")


class _Clock:
    """Stage timings into a dict of milliseconds, or nothing when no dict is given."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into = into
        self._started: dict[str, float] = {}

    def start(self, name: str) -> None:
        self._started[name] = time.perf_counter()

    def stop(self, name: str) -> None:
        if self.into is not None and name in self._started:
            self.into[name] = (time.perf_counter() - self._started.pop(name)) * 1000

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.start(name)
        try:
            yield
        finally:
            self.stop(name)


@dataclass(frozen=True)
class Tuning:
    """Search's knobs, for the twin-quality harness to compare variants side by side (the defaults ship)."""

    candidates: int = CANDIDATES  # from each leg
    passage_weight: float = 0.0  # > 0 blends the passage cosine into the closest-sentence score
    interleave: bool = True  # alternate the closest-sentence ranking with the passage-cosine ranking


SHIPPED = Tuning()


@dataclass
class Hit:
    chunk_id: uuid.UUID
    text: str
    score: float
    document_id: uuid.UUID
    document_title: str
    location: dict[str, Any]
    similarity: float = 0.0  # cosine similarity to the query (0 when only full text found it)
    sources: list[str] = field(default_factory=list)
    focus: tuple[int, int] | None = None  # character range of the sentence closest to the query
    sentences: list[tuple[float, tuple[int, int]]] = field(default_factory=list)  # each one's cosine and range


def scored_sentences(query: np.ndarray, text: str, packed: bytes | None) -> list[tuple[float, tuple[int, int]]]:
    """Each of the passage's sentences as (cosine to the query, character range); its stored sentence vectors
    follow `spans.sentence_ranges(text)` one for one. Empty for a passage stored without them."""
    vectors = spans.unpack(packed)
    ranges = spans.sentence_ranges(text)
    if not len(vectors) or len(vectors) != len(ranges):
        return []
    return [(round(float(s), 6), r) for s, r in zip((vectors @ query).tolist(), ranges, strict=True)]


def span_score(query: np.ndarray, sentence_vectors: np.ndarray, fallback: float) -> float:
    """The question's similarity to the passage's closest sentence; `fallback` (the passage cosine) for a
    passage stored without sentence vectors (indexed before they existed)."""
    if not len(sentence_vectors):
        return fallback
    return float(np.max(sentence_vectors @ query))


def span_scores(query: np.ndarray, packed: Sequence[bytes | None], fallbacks: Sequence[float]) -> np.ndarray:
    """`span_score` for many passages at once, from their stored (packed) sentence vectors: one matrix
    product over all the sentences instead of one per passage."""
    scores = np.asarray(fallbacks, dtype=np.float64)
    counts = np.asarray([len(b) // (2 * DIMENSIONS) if b else 0 for b in packed])
    present = np.flatnonzero(counts)
    if len(present):
        sentences = spans.unpack(b"".join(b for b in packed if b))
        starts = np.concatenate(([0], np.cumsum(counts[present])[:-1]))
        scores[present] = np.maximum.reduceat(sentences @ query, starts)
    return scores


def _words(s: str) -> set[str]:
    return set(_WORD.findall(s.lower()))


def diversify(hits: Iterable[Hit], k: int, max_overlap: float = 0.6) -> list[Hit]:
    """Keep the best of near-copies: no two results share more than `max_overlap` of their words. `hits`
    best first; it is read only until k are chosen."""
    chosen: list[Hit] = []
    seen: list[set[str]] = []
    for hit in hits:
        words = _words(hit.text)
        if any(len(words & s) / max(1, len(words | s)) > max_overlap for s in seen):
            continue
        chosen.append(hit)
        seen.append(words)
        if len(chosen) == k:
            break
    return chosen


def _order(scores: dict[uuid.UUID, float], passage: dict[uuid.UUID, float] | None) -> Iterator[uuid.UUID]:
    """Passage ids best first: by score, or (with `passage`) alternating the score ranking with the passage-
    cosine ranking, each id once (round robin: no weight to fit)."""
    by_score = sorted(scores, key=lambda i: scores[i], reverse=True)
    if passage is None:
        yield from by_score
        return
    by_passage = sorted((i for i in passage if i in scores), key=lambda i: passage[i], reverse=True)
    seen: set[uuid.UUID] = set()
    for pair in itertools.zip_longest(by_score, by_passage):
        for i in pair:
            if i is not None and i not in seen:
                seen.add(i)
                yield i


async def vector_leg(
    platform: Platform, creator_id: uuid.UUID, query: np.ndarray, n: int
) -> list[tuple[uuid.UUID, float]]:
    return [(uuid.UUID(i), sim) for i, sim in await platform.services.vectors.query(creator_id, query, n)]


async def search(
    platform: Platform,
    db: AsyncSession,
    creator_id: uuid.UUID,
    q: str,
    k: int = 5,
    mode: Mode = "hybrid",
    query_vector: np.ndarray | Awaitable[np.ndarray] | None = None,
    stages: dict[str, float] | None = None,
    tuning: Tuning = SHIPPED,
) -> list[Hit]:
    """The k best passages for `q`. `query_vector`: `q`'s embedding when the caller already has it or has it
    under way (a chat turn starts it before it takes a database connection; the full-text leg runs while it
    finishes). `stages`, when given, receives each stage's time in milliseconds (benches)."""
    qvec, pending = (query_vector, None) if isinstance(query_vector, np.ndarray) else (None, query_vector)
    clock = _Clock(stages)
    rows: dict[uuid.UUID, Any] = {}  # passage rows by id, from either leg's reads

    async def vector() -> dict[uuid.UUID, float]:
        nonlocal qvec
        if qvec is None:
            with clock("embed"):
                qvec = await (pending if pending is not None else platform.services.embedder.encode_one(q))
        with clock("chroma"):
            return dict(await vector_leg(platform, creator_id, qvec, tuning.candidates))

    async def fulltext() -> dict[uuid.UUID, float]:
        found = await lexical_leg(db, q, tuning.candidates, stages)
        rows.update((r.chunk_id, r) for r in found)  # the statement brings its passages' rows along
        return {r.chunk_id: r.score for r in found}

    # Each leg's passages, best first, with its own score. The legs run side by side: PostgreSQL matches,
    # ranks and reads its passages while the model embeds the question; then only the vector leg's new
    # passages are read.
    run = {"vector": vector, "fulltext": fulltext}
    names = ["vector", "fulltext"] if mode == "hybrid" else [mode]
    with clock("legs"):
        legs = dict(zip(names, await asyncio.gather(*(run[name]() for name in names)), strict=True))
    candidates = list(dict.fromkeys(i for leg in legs.values() for i in leg))
    if not candidates:
        return []
    with clock("rows"):  # the vector leg's passages the full-text statement did not bring
        missing = [i for i in candidates if i not in rows]
        if missing:
            rows.update((r.chunk_id, r) for r in await db.execute(_ROWS, {"ids": missing}))
    clock.start("rerank")
    similarity = legs.get("vector", {})
    found = [i for i in candidates if i in rows]  # a row deleted meanwhile is skipped
    if mode == "hybrid" and qvec is not None:
        passage = [similarity.get(i, 0.0) for i in found]
        ranked = span_scores(qvec, [rows[i].spans for i in found], passage)
        if tuning.passage_weight:
            ranked = (1 - tuning.passage_weight) * ranked + tuning.passage_weight * np.asarray(passage)
        scores = dict(zip(found, ranked.tolist(), strict=True))
    else:
        scores = {i: legs[mode][i] for i in found}
    hits = (  # built lazily: diversify stops after k
        Hit(
            chunk_id=i,
            text=rows[i].text,
            score=round(scores[i], 6),
            document_id=rows[i].document_id,
            document_title=rows[i].title,
            location=dict(rows[i].location),
            similarity=round(similarity.get(i, 0.0), 4),
            sources=[name for name, leg in legs.items() if i in leg],
        )
        for i in _order(scores, similarity if mode == "hybrid" and tuning.interleave else None)
    )
    chosen = diversify(hits, k)
    if qvec is not None:
        for hit in chosen:
            hit.sentences = scored_sentences(qvec, hit.text, rows[hit.chunk_id].spans)
            hit.focus = max(hit.sentences)[1] if hit.sentences else None
    clock.stop("rerank")
    return chosen
