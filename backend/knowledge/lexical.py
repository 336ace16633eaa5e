"""The full-text leg: BM25 over PostgreSQL's own lexemes, with pseudo-relevance feedback.

A paraphrased question shares few words with its answer ("people who annoy me at work" vs "the busybody,
the ungrateful, arrogant"), so the query is widened with the terms most characteristic of the passages the
vector leg ranked first (classic RM3-style feedback), and the passages PostgreSQL matches are re-scored
with BM25, whose document frequencies come from `ts_stat` over the tenant's chunks, cached in Redis per
tenant. In hybrid search this leg contributes candidates the vector leg missed (backend/knowledge/search.py
re-ranks them all).
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
EXPANSION_TERMS = 10
EXPANSION_WEIGHT = 0.5  # the question's own words count double (RM3-style interpolation)
MIN_FEEDBACK_CORPUS = 50  # below this many passages, "the top 3" is most of the corpus: no feedback
FEEDBACK_PASSAGES = 3
POOL = 150
POOL_MAX_DF = 0.05  # with feedback: terms in more passages than this share score, but do not widen the pool
_N, _AVGDL = "__n__", "__avgdl__"
_LEXEME = re.compile(r"'((?:[^']|'')+)':([0-9A-D,]+)")

_STATS = text("SELECT word, ndoc FROM ts_stat('SELECT tsv FROM chunks')")
_SHAPE = text("SELECT count(*), coalesce(avg(length(tsv)), 0) FROM chunks")
_QUERY_AND_SEEDS = text(
    "SELECT tsvector_to_array(to_tsvector('english', :q)), "
    "(SELECT coalesce(array_agg(tsv::text), '{}') FROM chunks WHERE id = ANY(CAST(:seeds AS uuid[])))"
)
# The query is a constant, so PostgreSQL answers `@@` from the GIN index instead of testing every passage.
_POOL = text(
    """
SELECT c.id, c.tsv::text FROM chunks c
WHERE c.tsv @@ CAST(:query AS tsquery)
ORDER BY ts_rank_cd(c.tsv, CAST(:query AS tsquery), 1) DESC
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


def expansion(query_terms: set[str], seeds: list[Counter[str]], df: dict[str, int], n: int) -> list[str]:
    """The terms most characteristic of the feedback passages: present in several, rare in the tenant."""
    presence: Counter[str] = Counter()
    for seed in seeds:
        presence.update(seed.keys())
    scored = {t: c * _idf(df.get(t, 1), n) for t, c in presence.items() if t not in query_terms and len(t) > 2}
    return sorted(scored, key=lambda t: -scored[t])[:EXPANSION_TERMS]


def bm25(
    terms: list[str],
    doc: Counter[str],
    df: dict[str, int],
    n: int,
    avgdl: float,
    weights: dict[str, float] | None = None,
) -> float:
    length = len(doc)
    score = 0.0
    for t in terms:
        tf = doc.get(t, 0)
        if tf:
            weight = weights.get(t, 1.0) if weights else 1.0
            score += weight * _idf(df.get(t, 1), n) * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avgdl))
    return score


def tsquery(terms: list[str]) -> str:
    """`'a' | 'b'`: the lexemes as they are (already normalised by to_tsvector), quoted for tsquery input."""
    return " | ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)


def pool_terms(terms: list[str], df: dict[str, int], n: int) -> list[str]:
    """The terms whose matches form the candidate pool: the informative ones. A passage that shares only
    words found everywhere ("get", "thing", "time") cannot rank high in BM25, but matching those words made
    the pool query rank most of the tenant. The rarest term stays when every term is common."""
    rare = [t for t in terms if df.get(t, 0) <= POOL_MAX_DF * n]
    return rare or sorted(terms, key=lambda t: df.get(t, 0))[:1]


async def lexical_leg(
    db: AsyncSession, redis: Redis, creator_id: uuid.UUID, q: str, feedback: list[uuid.UUID], n: int
) -> list[tuple[uuid.UUID, float]]:
    """The n best passages by BM25 with their scores, best first."""
    seeds_ids = feedback[:FEEDBACK_PASSAGES]
    q_terms, seed_texts = (await db.execute(_QUERY_AND_SEEDS, {"q": q, "seeds": seeds_ids})).one()
    q_terms = list(q_terms or [])
    if not q_terms:
        return []
    seeds = [parse_tsvector(s) for s in seed_texts or []]
    candidates = {t for seed in seeds for t in seed}
    df, total, avgdl = await _frequencies(db, redis, creator_id, [*q_terms, *candidates])
    extra = expansion(set(q_terms), seeds, df, total) if total >= MIN_FEEDBACK_CORPUS else []
    terms = q_terms + extra
    weights = {t: EXPANSION_WEIGHT for t in extra}
    # With feedback (hybrid search) the query has ~10 more terms and the pool only adds candidates to the
    # vector leg's: its informative terms find the same ones (measured), without ranking most of the tenant.
    query = tsquery(pool_terms(terms, df, total) if seeds else terms)
    pool = (await db.execute(_POOL, {"query": query, "n": POOL})).all()
    scored = [(row[0], bm25(terms, parse_tsvector(row[1]), df, total, avgdl, weights)) for row in pool]
    scored.sort(key=lambda s: -s[1])
    return scored[:n]
