"""Hybrid retrieval: candidates from the vector leg (Chroma) and the full-text leg (PostgreSQL BM25), re-ranked
by how close the question is to the best sentence of each passage, then de-duplicated.

Both legs only see the caller's tenant: Chroma through the tenant's own collection, PostgreSQL through RLS.

Why re-rank rather than fuse ranks: the questions people ask are answered by one sentence of a ~200-token
passage, and a passage vector averages the whole passage. Each passage carries its sentences' vectors,
pooled from the passage's own forward pass at ingestion (backend/knowledge/spans.py), so the re-ranking
costs no model call. Reciprocal-rank fusion and score fusion with BM25 were measured and rejected (see
tests/bench/retrieval/README.md): the full-text leg's value is the passages it adds to the candidates.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.knowledge import spans
from backend.knowledge.lexical import lexical_leg
from backend.lib.platform import Platform

Mode = Literal["hybrid", "vector", "fulltext"]
CANDIDATES = 40  # from each leg
_WORD = re.compile(r"[a-z0-9']+")

_ROWS = text(
    """
SELECT c.id, c.text, c.location, c.document_id, d.title, c.spans
FROM chunks c JOIN documents d ON d.id = c.document_id
WHERE c.id = ANY(:ids)
"""
)


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


def span_score(query: np.ndarray, sentence_vectors: np.ndarray, fallback: float) -> float:
    """The question's similarity to the passage's closest sentence; `fallback` (the passage cosine) for a
    passage stored without sentence vectors (indexed before they existed)."""
    if not len(sentence_vectors):
        return fallback
    return float(np.max(sentence_vectors @ query))


def _words(s: str) -> set[str]:
    return set(_WORD.findall(s.lower()))


def diversify(hits: list[Hit], k: int, max_overlap: float = 0.6) -> list[Hit]:
    """Keep the best of near-copies: no two results share more than `max_overlap` of their words."""
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


async def vector_leg(
    platform: Platform, creator_id: uuid.UUID, query: np.ndarray, n: int
) -> list[tuple[uuid.UUID, float]]:
    return [(uuid.UUID(i), sim) for i, sim in await platform.extras["vectors"].query(creator_id, query, n)]


async def search(
    platform: Platform,
    db: AsyncSession,
    creator_id: uuid.UUID,
    q: str,
    k: int = 5,
    mode: Mode = "hybrid",
    query_vector: np.ndarray | None = None,
) -> list[Hit]:
    """The k best passages for `q`. `query_vector`: `q`'s embedding when the caller already has it (a chat
    turn computes it before it takes a database connection)."""
    qvec = query_vector

    async def vector() -> dict[uuid.UUID, float]:
        nonlocal qvec
        if qvec is None:
            qvec = await platform.extras["embedder"].encode_one(q)
        return dict(await vector_leg(platform, creator_id, qvec, CANDIDATES))

    async def fulltext() -> dict[uuid.UUID, float]:
        return dict(await lexical_leg(db, platform.redis, creator_id, q, CANDIDATES))

    # Each leg's passages, best first, with its own score. The legs run side by side: PostgreSQL matches
    # and ranks while the model embeds the question.
    run = {"vector": vector, "fulltext": fulltext}
    names = ["vector", "fulltext"] if mode == "hybrid" else [mode]
    legs = dict(zip(names, await asyncio.gather(*(run[name]() for name in names)), strict=True))
    candidates = list(dict.fromkeys(i for leg in legs.values() for i in leg))
    if not candidates:
        return []
    rows = {r.id: r for r in await db.execute(_ROWS, {"ids": candidates})}
    similarity = legs.get("vector", {})
    if mode == "hybrid" and qvec is not None:
        scores = {i: span_score(qvec, spans.unpack(r.spans), similarity.get(i, 0.0)) for i, r in rows.items()}
    else:
        scores = {i: s for i, s in legs[mode].items() if i in rows}
    hits = [
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
        for i in sorted(scores, key=lambda i: scores[i], reverse=True)  # a row deleted meanwhile is skipped
    ]
    return diversify(hits, k)
