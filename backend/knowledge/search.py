"""Hybrid retrieval: vector (Chroma) + full text (PostgreSQL), fused by reciprocal rank, then de-duplicated.

Both legs only see the caller's tenant: Chroma through the tenant's own collection, PostgreSQL through RLS.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.knowledge.lexical import lexical_leg
from backend.lib.platform import Platform

Mode = Literal["hybrid", "vector", "fulltext"]
RRF_K = 60
CANDIDATES = 40
_WORD = re.compile(r"[a-z0-9']+")

_ROWS = text(
    """
SELECT c.id, c.text, c.location, c.document_id, d.title
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


def rrf(rankings: dict[str, list[uuid.UUID]], weights: dict[str, float]) -> dict[uuid.UUID, float]:
    fused: dict[uuid.UUID, float] = {}
    for name, ids in rankings.items():
        for rank, cid in enumerate(ids):
            fused[cid] = fused.get(cid, 0.0) + weights.get(name, 1.0) / (RRF_K + rank + 1)
    return fused


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
    found = await platform.extras["vectors"].query(creator_id, query, n)
    return [(uuid.UUID(i), sim) for i, sim, _ in found]


async def search(
    platform: Platform,
    db: AsyncSession,
    creator_id: uuid.UUID,
    q: str,
    k: int = 5,
    mode: Mode = "hybrid",
    weights: dict[str, float] | None = None,
    query_vector: np.ndarray | None = None,
) -> list[Hit]:
    """The k best passages for `q`. `query_vector`: `q`'s embedding when the caller already has it (a chat
    turn computes it before it takes a database connection)."""
    rankings: dict[str, list[uuid.UUID]] = {}
    similarity: dict[uuid.UUID, float] = {}
    if mode in ("hybrid", "vector"):
        qvec = query_vector if query_vector is not None else await platform.extras["embedder"].encode_one(q)
        vec = await vector_leg(platform, creator_id, qvec, CANDIDATES)
        rankings["vector"] = [i for i, _ in vec]
        similarity = dict(vec)
    if mode in ("hybrid", "fulltext"):
        # In hybrid mode the vector leg's best passages feed the full-text query (pseudo-relevance
        # feedback): the legs run one after the other on purpose.
        feedback = rankings.get("vector", [])
        rankings["fulltext"] = await lexical_leg(db, platform.redis, creator_id, q, feedback, CANDIDATES)
    fused = rrf(rankings, weights or {"vector": 1.0, "fulltext": 1.0})
    if not fused:
        return []
    ordered = sorted(fused, key=lambda i: fused[i], reverse=True)[: max(k * 4, 20)]
    rows = {r.id: r for r in await db.execute(_ROWS, {"ids": ordered})}
    hits = [
        Hit(
            chunk_id=i,
            text=rows[i].text,
            score=round(fused[i], 6),
            document_id=rows[i].document_id,
            document_title=rows[i].title,
            location=dict(rows[i].location),
            similarity=round(similarity.get(i, 0.0), 4),
            sources=[name for name, ids in rankings.items() if i in ids],
        )
        for i in ordered
        if i in rows  # a vector whose row is gone (deleted meanwhile) is skipped
    ]
    return diversify(hits, k)
