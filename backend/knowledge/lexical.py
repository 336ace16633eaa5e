"""The full-text leg: BM25 over PostgreSQL's own lexemes.

PostgreSQL finds the passages that share a lexeme with the question (its `english` configuration stems
both sides) and ranks all of them by BM25, in one statement: `knowledge_lexical`, a narrow SECURITY DEFINER
function (alembic/versions/0007_lexical_search.py). Under row-level security a plain `tsv @@ query` could
not use the index (the match operator is not leakproof, so the planner must apply the tenant policy first)
and read every passage of the tenant; the function takes the tenant from the transaction only, never from
an argument, and filters on it itself, through an index on (tenant, lexemes). Document frequencies are
counted among the matching passages, so they are always exact; the tenant's passage count and mean length
live in `knowledge_stats`, recounted after each document is indexed or deleted. The same statement joins
the passages' rows, under RLS again: one round trip for the whole leg.

In hybrid search this leg runs beside the vector leg and contributes the candidates it missed
(backend/knowledge/search.py re-ranks them all). Pseudo-relevance feedback from the vector leg (RM3-style
expansion) was tried: it made the leg find more answers alone but none that changed hybrid's results, and it
kept the legs sequential.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

K1, B = 1.2, 0.75  # also written into knowledge_lexical

# What search needs of a passage (`c` is chunks); the title by a subquery, not a join: under RLS the
# planner cannot tell how many rows the tenant's filter keeps, and with a join it drove the query from the
# tenant's documents and read all their passages (~4,000 rows) instead of looking the ids up by key.
PASSAGE = "c.id AS chunk_id, c.text, c.location, c.document_id, c.spans, " + (
    "(SELECT d.title FROM documents d WHERE d.id = c.document_id) AS title"
)
_REFRESH = text(
    """
INSERT INTO knowledge_stats (creator_id, passages, avg_length)
SELECT :cid, count(*), coalesce(avg(length(tsv)), 0) FROM chunks
ON CONFLICT (creator_id) DO UPDATE
SET passages = excluded.passages, avg_length = excluded.avg_length, updated_at = now()
"""
)
_MATCH = text(
    f"""
SELECT f.score, {PASSAGE}
FROM knowledge_lexical(:q, :n) f JOIN chunks c ON c.id = f.chunk_id
ORDER BY f.score DESC, f.chunk_id
"""
)


async def refresh_stats(db: AsyncSession, creator_id: uuid.UUID) -> None:
    """Recount the tenant's passages and their mean length (after a document is indexed or deleted), in
    the caller's transaction (RLS: the count covers the tenant's passages only)."""
    await db.execute(_REFRESH, {"cid": creator_id})


def bm25(
    terms: Sequence[str],
    doc: Mapping[str, int],
    length: int,
    df: Mapping[str, int],
    n: int,
    avgdl: float,
) -> float:
    """Reference implementation of the score `knowledge_lexical` computes (tests compare the two).
    `doc`: the passage's count of each term it holds; `length`: its number of distinct lexemes."""
    score = 0.0
    for t in terms:
        tf = doc.get(t, 0)
        if tf:
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / max(avgdl, 1.0)))
    return score


async def lexical_leg(db: AsyncSession, q: str, n: int, stages: dict[str, float] | None = None) -> list[Any]:
    """The n best passages by BM25, best first: rows with `score` and the `PASSAGE` columns."""
    started = time.perf_counter()
    rows = (await db.execute(_MATCH, {"q": q, "n": n})).all()
    if stages is not None:
        stages["lexical"] = (time.perf_counter() - started) * 1000
    return list(rows)
