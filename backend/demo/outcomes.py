"""The analytics side of the demo: an A/B of two versions running from the first day, and the rollups
refreshed at the end, so Analytics shows the simulated weeks at once (the worker would within 30 s)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from backend.analytics import experiments
from backend.analytics.jobs import refresh_workspace
from backend.analytics.schemas import ExperimentIn
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.programs import service as programs
from common.enums import ExperimentOutcome
from common.models import Program

QUESTION_B = "Name one thing in your power today. How ready do you feel to meet today's obstacles calmly?"


async def experiment(db: AsyncSession, owner: Principal, p: Program, checkin: str, start: datetime) -> None:
    """Version 2 names an intention in the check-in's question; new members get 1 or 2 at random (sticky),
    judged on adherence, as a creator would set it up before launching."""
    for node in p.draft["nodes"]:
        if node["id"] == checkin:
            node["data"]["question"] = QUESTION_B
    flag_modified(p, "draft")
    await db.flush()
    v = await programs.publish(db, owner, p.id)
    v.published_at = start
    x = await experiments.start(
        db, owner.creator_id, owner.subject_id, p.id,
        ExperimentIn(version_a=1, version_b=2, outcome=ExperimentOutcome.adherence),
    )  # fmt: skip
    x.started_at = start


async def refresh(platform: Platform, creator_id: uuid.UUID, end: datetime) -> int:
    """The rollups of the whole history now; how many changes they took in."""
    return (await refresh_workspace(platform, creator_id, end)).marks


async def hold_refresh(db: AsyncSession, creator_id: uuid.UUID) -> None:
    """Take the workspace's refresh lock (the one `rollups.refresh` tries) for this transaction: a worker's
    refresh waits for the simulated hour instead of deadlocking with it on the rows both write."""
    await db.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"analytics:{creator_id}"})
