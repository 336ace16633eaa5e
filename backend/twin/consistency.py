"""Persona consistency of a reply, scored after the reply is sent and stored in `messages.consistency`.

Scoring embeds the whole reply (a few hundred tokens: ~4x a query's model time), so it stays off the turn:
the turn stores the reply with `consistency` null and hands it to this process's `Scorer`, which scores
waiting replies together (one micro-batched model call on the embedder's background lane, so no query
waits for it) and stores the scores with one UPDATE per tenant. The score shows up a moment later in
`GET /api/v1/conversations/{id}` and `GET /api/v1/twin/consistency/weakest`.

In process, not a job: a saq job per reply cost ~12 Redis and PostgreSQL round trips in the API process
(queue bookkeeping, loading the reply back), more than the turn itself. The price: a reply whose process
dies before scoring it (the queue is drained on shutdown) keeps `consistency` null, i.e. it is missing
from the consistency review, never wrong in it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass

import structlog
from sqlalchemy import update

from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.twin.persona import PersonaProfile
from backend.twin.style import style_distance
from common.models import Message

log = structlog.get_logger()
BATCH = 32  # replies scored (and stored) together at most


async def consistency_score(
    platform: Platform, creator_id: uuid.UUID, profile: PersonaProfile | None, reply: str
) -> float | None:
    """Half style (distance to the persona's measured voice), half meaning (closeness to the corpus)."""
    try:
        # The embedder's background lane: waiting queries (other turns' time to first token) never wait for it.
        vec = await platform.services.embedder.encode_one(reply, urgent=False)
        nearest = await platform.services.vectors.query(creator_id, vec, 1)
    except Exception:  # scoring must never break anything
        log.exception("consistency_failed")
        return None
    semantic = max(0.0, nearest[0][1]) if nearest else 0.0
    style = 1.0 - style_distance(profile.voice, reply) if profile is not None else semantic
    return round(0.5 * style + 0.5 * semantic, 3)


@dataclass(frozen=True)
class Reply:
    creator_id: uuid.UUID
    message_id: uuid.UUID
    text: str
    profile: PersonaProfile | None  # the voice of the persona version that spoke it


class Scorer:
    """This process's queue of replies to score, worked by one task on the loop that first submits."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._waiting: list[Reply] = []
        self._task: asyncio.Task[None] | None = None

    def submit(self, reply: Reply) -> None:
        self._waiting.append(reply)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            try:
                scores = await asyncio.gather(
                    *(consistency_score(self.platform, r.creator_id, r.profile, r.text) for r in batch)
                )
                await self._store([(r, s) for r, s in zip(batch, scores, strict=True) if s is not None])
            except Exception:  # a failed batch (database down) must not stop the next ones
                log.exception("consistency_store_failed", replies=len(batch))

    async def _store(self, scored: list[tuple[Reply, float]]) -> None:
        by_tenant: dict[uuid.UUID, list[dict[str, object]]] = defaultdict(list)
        for reply, score in scored:
            by_tenant[reply.creator_id].append({"id": reply.message_id, "consistency": score})
        for creator_id, rows in by_tenant.items():
            async with self.platform.db.session(TenantContext(creator_id)) as db:
                await db.execute(update(Message), rows)  # by primary key, one statement for the tenant's rows
                await db.commit()

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a bound on shutdown, by design
        """Wait until every submitted reply is scored and stored (at most `timeout` seconds)."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=timeout)

    async def aclose(self) -> None:
        await self.drain(10.0)
        if self._task is not None and not self._task.done():
            self._task.cancel()
