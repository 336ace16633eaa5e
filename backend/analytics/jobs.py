"""The analytics worker: the saq job `refresh_analytics` finds the workspaces with changes to fold in (one narrow
SECURITY DEFINER function), refreshes each in a transaction of its own, then schedules itself TICK_SECONDS later.
Job keys are per time bucket: kicks for one bucket dedupe, and the running job can schedule its successor."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import text

from backend.analytics.rollups import RefreshStats, refresh
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext

log = structlog.get_logger()
JOB = "refresh_analytics"
TICK_SECONDS = 30


async def kick(platform: Platform, delay: float = 0.0) -> None:
    bucket = int((time.time() + delay) // TICK_SECONDS)
    await platform.services.jobs.enqueue(JOB, key=f"{JOB}:{bucket}", delay=delay, timeout=600, retries=1)


async def due_workspaces(platform: Platform) -> list[uuid.UUID]:
    async with platform.db.session(None) as db:
        found = list((await db.execute(text("SELECT creator_id FROM analytics_due_tenants()"))).scalars())
        await db.commit()
    return found


async def refresh_workspace(platform: Platform, creator_id: uuid.UUID, now: datetime | None = None) -> RefreshStats:
    """One refresh in a transaction of its own (the worker's unit)."""
    async with platform.db.session(TenantContext(creator_id)) as db:
        stats = await refresh(db, creator_id, now)
        await db.commit()
    return stats


async def run_pass(platform: Platform) -> dict[str, int]:
    """Refresh every workspace with changes; one that fails is logged and retried next tick."""
    totals = {"workspaces": 0, "marks": 0}
    for creator_id in await due_workspaces(platform):
        try:
            stats = await refresh_workspace(platform, creator_id)
        except Exception:
            log.exception("analytics_refresh_failed", creator_id=str(creator_id))
            continue
        totals["workspaces"] += 1
        totals["marks"] += stats.marks
    return totals


async def refresh_analytics(ctx: dict[str, Any], **_: Any) -> dict[str, int]:
    platform: Platform = ctx["platform"]
    try:
        return await run_pass(platform)
    finally:
        await kick(platform, TICK_SECONDS)
