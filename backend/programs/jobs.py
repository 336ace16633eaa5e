"""Due timers: claimed across tenants in batches (FOR UPDATE SKIP LOCKED, through the narrow SECURITY
DEFINER function), then advanced tenant by tenant: up to PER_TRANSACTION timers of one tenant in one
tenant-scoped transaction (`fire_timers`, set-based: a transaction costs about the statements of a single
timer). If such a transaction fails, its timers are retried one per transaction, so one bad timer holds
back no other.

Several workers (processes, or tasks in one process) can run `run_due` at once: SKIP LOCKED hands each
timer to one claimer, a lease lets another worker retake a timer whose claimer died, and `fire_timers`
advances an enrollment at most once per timer whatever happens.

The saq job `advance_program_timers` drains due timers, then schedules itself for the next due time (at
most TICK_SECONDS ahead while timers are pending). The API kicks it whenever it creates a timer. Job keys
are per time bucket, so the running job can schedule its successor and kicks for one bucket dedupe.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import text

from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.programs.repository import claim_due
from backend.programs.runtime import fire_timers
from common.enums import StepOutcome

log = structlog.get_logger()
JOB = "advance_program_timers"
TICK_SECONDS = 15
BATCH = 2000  # timers one claim takes (the claim function's cap is 5000)
CONCURRENCY = 4  # transactions in flight per worker
PER_TRANSACTION = 200  # timers of one tenant fired in one transaction
LEASE_SECONDS = 300


@dataclass
class DrainStats:
    claimed: int = 0
    applied: int = 0
    skipped: int = 0  # duplicate / stale / inactive
    failed: int = 0


async def _advance(platform: Platform, creator_id: uuid.UUID, timer_ids: list[uuid.UUID], stats: DrainStats) -> None:
    """Fire one tenant's timers in one transaction; if that fails, each on its own, so one bad timer holds
    back no other."""
    try:
        async with platform.db.session(TenantContext(creator_id)) as db:
            results = await fire_timers(db, timer_ids)
            await db.commit()
    except Exception:
        if len(timer_ids) > 1:
            for timer_id in timer_ids:
                await _advance(platform, creator_id, [timer_id], stats)
            return
        # The claim stays; after the lease another worker retries, and firing stays idempotent.
        stats.failed += 1
        log.exception("program_timer_failed", timer_id=str(timer_ids[0]))
        return
    for result in results.values():
        if result.outcome == StepOutcome.applied:
            stats.applied += 1
        else:
            stats.skipped += 1


async def run_due(
    platform: Platform,
    *,
    batch: int = BATCH,
    concurrency: int = CONCURRENCY,
    per_transaction: int = PER_TRANSACTION,
    lease_seconds: int = LEASE_SECONDS,
) -> DrainStats:
    """Claim and advance due timers until none is left; returns what happened.

    Each claimed batch is split by tenant into transactions of at most `per_transaction` timers, run
    `concurrency` at a time.
    """
    stats = DrainStats()
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(creator_id: uuid.UUID, timer_ids: list[uuid.UUID]) -> None:
        async with gate:
            await _advance(platform, creator_id, timer_ids, stats)

    while True:
        async with platform.db.session(None) as db:  # no tenant: only the claim function sees timers
            claimed = await claim_due(db, batch, lease_seconds)
            await db.commit()
        if not claimed:
            return stats
        stats.claimed += len(claimed)
        tenants: dict[uuid.UUID, list[uuid.UUID]] = {}
        for timer_id, creator_id in claimed:
            tenants.setdefault(creator_id, []).append(timer_id)
        size = max(1, per_transaction)
        await asyncio.gather(
            *(one(c, ids[i : i + size]) for c, ids in tenants.items() for i in range(0, len(ids), size))
        )


async def next_due(platform: Platform) -> datetime | None:
    async with platform.db.session(None) as db:
        value: datetime | None = (await db.execute(text("SELECT next_program_timer_due()"))).scalar()
        await db.commit()
    return value


async def kick(platform: Platform, due_at: datetime | None = None) -> None:
    """Make sure a timer job runs at `due_at` (or now). Safe to call often: one job per time bucket."""
    jobs = platform.services.jobs
    # Whole seconds, rounded up: a run scheduled before the due time would find nothing due and push the timer
    # to the next bucket, up to TICK_SECONDS late.
    when = math.ceil(max(time.time(), due_at.timestamp() if due_at else 0.0))
    bucket = int(when // TICK_SECONDS)
    await jobs.enqueue(JOB, key=f"{JOB}:{bucket}", scheduled=when, timeout=600, retries=1)


async def advance_program_timers(ctx: dict[str, Any], *, scheduled: int = 0, **_: Any) -> dict[str, int]:
    """The saq job: drain due timers, then schedule the next run."""
    platform: Platform = ctx["platform"]
    jobs = platform.services.jobs
    if jobs.queue is None and scheduled > time.time():
        await asyncio.sleep(scheduled - time.time())  # in-process fallback: no scheduler, so wait here
    stats = await run_due(platform)
    upcoming = await next_due(platform)
    if upcoming is not None:
        await kick(platform, _at(upcoming, scheduled))
    return {"claimed": stats.claimed, "applied": stats.applied, "skipped": stats.skipped, "failed": stats.failed}


def _at(upcoming: datetime, scheduled: int) -> datetime:
    """The next run: at the next due time, never more than a tick away (a safety net for lost jobs), and in
    a later bucket than this run's (whose key is still taken while it runs)."""
    ceiling = datetime.now(UTC) + timedelta(seconds=TICK_SECONDS)
    at = min(upcoming, ceiling)
    this_bucket = int(max(scheduled, 0) // TICK_SECONDS)
    if int(at.timestamp() // TICK_SECONDS) <= this_bucket:
        at = datetime.fromtimestamp((this_bucket + 1) * TICK_SECONDS, UTC)
    return at
