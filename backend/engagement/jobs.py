"""The engagement worker: the saq job `evaluate_engagement` finds the workspaces with enabled triggers or
deferred firings due (one narrow SECURITY DEFINER function), runs one pass per workspace, then schedules
itself TICK_SECONDS later. Job keys are per time bucket: kicks for one bucket dedupe, and the running job
can schedule its successor. Saving an enabled trigger kicks it."""

from __future__ import annotations

import time
from typing import Any

import structlog

from backend.engagement.scheduler import due_workspaces, evaluate_workspace
from backend.lib.platform import Platform

log = structlog.get_logger()
JOB = "evaluate_engagement"
TICK_SECONDS = 60


async def kick(platform: Platform, delay: float = 0.0) -> None:
    bucket = int((time.time() + delay) // TICK_SECONDS)
    await platform.services.jobs.enqueue(JOB, key=f"{JOB}:{bucket}", delay=delay, timeout=600, retries=1)


async def run_pass(platform: Platform) -> dict[str, int]:
    """One pass over every workspace due; a workspace that fails is logged and retried next tick."""
    totals: dict[str, int] = {"workspaces": 0, "found": 0}
    for creator_id in await due_workspaces(platform):
        try:
            stats = await evaluate_workspace(platform, creator_id)
        except Exception:
            log.exception("engagement_pass_failed", creator_id=str(creator_id))
            continue
        totals["workspaces"] += 1
        totals["found"] += stats.found
        for outcome, n in stats.decided.items():
            totals[outcome] = totals.get(outcome, 0) + n
    return totals


async def evaluate_engagement(ctx: dict[str, Any], **_: Any) -> dict[str, int]:
    platform: Platform = ctx["platform"]
    try:
        return await run_pass(platform)
    finally:
        await kick(platform, TICK_SECONDS)
