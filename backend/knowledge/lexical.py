"""The full-text leg: BM25 over PostgreSQL's own lexemes.

PostgreSQL finds the passages that share a lexeme with the question (its `english` configuration stems
both sides) and ranks them by cover density; the best `POOL` are re-scored with BM25, whose document
frequencies come from `ts_stat` over the tenant's chunks, cached in Redis per tenant. In hybrid search
this leg runs beside the vector leg and contributes the candidates it missed (backend/knowledge/search.py
re-ranks them all). Pseudo-relevance feedback from the vector leg (RM3-style expansion) was tried: it made
the leg find more answers alone but none that changed hybrid's results, and it kept the legs sequential.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import Counter
from collections.abc import Iterable

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.lib.cache import tenant_key

K1, B = 1.2, 0.75
POOL = 150
_N, _AVGDL = "__n__", "__avgdl__"
_LEXEME = re.compile(r"'((?:[^']|'')+)':([0-9A-D,]+)")

_STATS = text("SELECT word, ndoc FROM ts_stat('SELECT tsv FROM chunks')")
_SHAPE = text("SELECT count(*), coalesce(avg(length(tsv)), 0) FROM chunks")
# One round trip: the question's lexemes, and the passages that contain any of them (the lexemes are
# quoted for tsquery input as they are: to_tsquery would stem the stems again).
_POOL = text(
    """
WITH q AS (
  SELECT array_agg(t) AS terms,
         CAST(string_agg('''' || replace(replace(t, '\\', '\\\\'), '''', '''''') || '''', ' | ') AS tsquery) AS query
  FROM unnest(tsvector_to_array(to_tsvector('english', :q))) AS t
)
SELECT q.terms, c.id, c.tsv::text FROM chunks c, q
WHERE q.query IS NOT NULL AND c.tsv @@ q.query
ORDER BY ts_rank_cd(c.tsv, q.query, 1) DESC
LIMIT :n
"""
)


def stats_key(creator_id: uuid.UUID) -> str:
    return tenant_key("lexicon", creator_id)


def parse_tsvector(value: str) -> Counter[str]:
    """Term frequencies from a tsvector's text form: `'anger':3,17 'delay':5`."""
    return Counter({m.group(1).replace("''", "'"): m.group(2).count(",") + 1 for m in _LEXEME.finditer(value)})


async def refresh_stats(db: AsyncSession, redis: Redis, creator_id: uuid.UUID) -> None:
    """Recount document frequencies for the tenant (after a document is indexed or deleted)."""
    rows = (await db.execute(_STATS)).all()
    count, avgdl = (await db.execute(_SHAPE)).one()
    key = stats_key(creator_id)
    pipe = redis.pipeline(transaction=True)
    pipe.delete(key)
    mapping: dict[str, str] = {w: str(n) for w, n in rows}
    mapping.update({_N: str(int(count)), _AVGDL: str(float(avgdl))})
    pipe.hset(key, mapping=mapping)
    await pipe.execute()


async def _frequencies(
    db: AsyncSession, redis: Redis, creator_id: uuid.UUID, terms: Iterable[str]
) -> tuple[dict[str, int], int, float]:
    wanted = list(dict.fromkeys(terms))
    key = stats_key(creator_id)
    values = await redis.hmget(key, [_N, _AVGDL, *wanted])  # type: ignore[misc]
    if values[0] is None:  # never computed (or Redis was flushed): compute once, then read again
        await refresh_stats(db, redis, creator_id)
        values = await redis.hmget(key, [_N, _AVGDL, *wanted])  # type: ignore[misc]
    n, avgdl = int(values[0] or 0), float(values[1] or 1.0)
    return {t: int(v) for t, v in zip(wanted, values[2:], strict=True) if v is not None}, n, max(avgdl, 1.0)


def _idf(df: int, n: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def bm25(
    terms: list[str],
    doc: Counter[str],
    df: dict[str, int],
    n: int,
    avgdl: float,
) -> float:
    length = len(doc)
    score = 0.0
    for t in terms:
        tf = doc.get(t, 0)
        if tf:
            score += _idf(df.get(t, 1), n) * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avgdl))
    return score


async def lexical_leg(
    db: AsyncSession, redis: Redis, creator_id: uuid.UUID, q: str, n: int
) -> list[tuple[uuid.UUID, float]]:
    """The n best passages by BM25 with their scores, best first."""
    pool = (await db.execute(_POOL, {"q": q, "n": POOL})).all()
    if not pool:
        return []
    terms = list(pool[0].terms)
    df, total, avgdl = await _frequencies(db, redis, creator_id, terms)
    scored = [(row.id, bm25(terms, parse_tsvector(row.tsv), df, total, avgdl)) for row in pool]
    scored.sort(key=lambda s: -s[1])
    return scored[:n]
