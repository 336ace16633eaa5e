"""Delivery's background work, on a saq queue of its own (`<JOB_QUEUE>-delivery`): many small I/O-bound jobs
that must not wait behind a long ingestion on the main queue.

- `deliver_outbox(creator_id, ids)`: queued after the commit that staged the rows (and for retries);
- `sweep_outbox()`: every SWEEP_SECONDS, rows a dead process left queued are claimed and delivered.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.delivery import outbox
from backend.lib.jobs import Jobs
from backend.lib.platform import Platform

SWEEP_SECONDS = 15
CONCURRENCY = 8


async def deliver_outbox(ctx: dict[str, Any], *, creator_id: str, ids: list[str], **_: Any) -> dict[str, int]:
    delivery: Delivery = ctx["delivery"]
    return await delivery.deliver(uuid.UUID(creator_id), [uuid.UUID(i) for i in ids])


async def sweep_outbox(ctx: dict[str, Any], **_: Any) -> dict[str, int]:
    """Deliver rows a dead process left queued, then come back in SWEEP_SECONDS."""
    delivery: Delivery = ctx["delivery"]
    claimed = await outbox.stale(delivery.platform)
    by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
    for creator_id, outbox_id in claimed:
        by_tenant.setdefault(creator_id, []).append(outbox_id)
    for creator_id, ids in by_tenant.items():
        await delivery.deliver(creator_id, ids)
    await delivery.schedule_sweep(time.time() + SWEEP_SECONDS)
    return {"claimed": len(claimed)}


class Delivery:
    """The delivery queue of one process, and the commit listener that feeds it."""

    def __init__(self, platform: Platform) -> None:
        s = platform.settings
        self.platform = platform
        context = {"platform": platform, "delivery": self}
        self.jobs = Jobs(s.redis_url, [deliver_outbox, sweep_outbox], context, f"{s.job_queue}-delivery")
        platform.db.commit_listeners.append(self.on_commit)

    async def on_commit(self, db: AsyncSession) -> None:
        staged = outbox.take_staged(db)
        by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
        for creator_id, outbox_id in staged:
            by_tenant.setdefault(creator_id, []).append(outbox_id)
        for creator_id, ids in by_tenant.items():
            # One job per commit: a member's messages must not be split across jobs that run side by side
            # (they would arrive out of order); inside the job members are served side by side.
            await self.enqueue(creator_id, ids)

    async def enqueue(self, creator_id: uuid.UUID, ids: Sequence[uuid.UUID], at: datetime | None = None) -> None:
        scheduled = int(at.timestamp()) if at is not None else 0
        await self.jobs.enqueue(
            "deliver_outbox",
            key=f"outbox:{min(ids)}:{scheduled}",
            scheduled=scheduled,
            timeout=120,
            retries=3,
            creator_id=str(creator_id),
            ids=[str(i) for i in ids],
        )

    async def deliver(self, creator_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> dict[str, int]:
        counts, retry_at = await outbox.deliver(self.platform, creator_id, ids)
        if retry_at is not None:
            await self.enqueue(creator_id, ids, retry_at)
        return counts

    async def schedule_sweep(self, at: float | None = None) -> None:
        when = at or time.time()
        # One sweep per time bucket, whichever worker queues it.
        await self.jobs.enqueue(
            "sweep_outbox", key=f"sweep_outbox:{int(when // SWEEP_SECONDS)}", scheduled=int(when), timeout=60, retries=0
        )

    async def start_worker(self) -> None:
        # Deliveries take milliseconds: a stopping process waits at most a second for those in flight.
        await self.jobs.start_worker(concurrency=CONCURRENCY, sweep_seconds=SWEEP_SECONDS, grace_seconds=1)
        if self.jobs.queue is not None:
            await self.schedule_sweep()

    async def aclose(self) -> None:
        if self.on_commit in self.platform.db.commit_listeners:
            self.platform.db.commit_listeners.remove(self.on_commit)
        await self.jobs.aclose()
