"""A trigger's preview: the members it is due for now that no earlier pass decided, each through the same
rules the scheduler applies, with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.engagement import repository
from backend.engagement.rules import decide
from backend.engagement.scheduler import limits_of
from backend.engagement.schemas import PreviewOut
from common.enums import DecisionOutcome, FiringStatus
from common.models import Firing, Trigger


async def preview(db: AsyncSession, trigger: Trigger, now: datetime | None = None) -> PreviewOut:
    now = now or datetime.now(UTC)
    found = await repository.candidates(db, trigger, now)
    done = set(
        (
            await db.execute(
                select(col(Firing.member_id), col(Firing.occurrence)).where(
                    col(Firing.trigger_id) == trigger.id, col(Firing.status) == FiringStatus.done
                )
            )
        ).all()
    )
    members = sorted({m for m, occurrence in found if (m, occurrence[:200]) not in done})
    states = await repository.member_states(db, members, now)
    limits = limits_of(trigger)
    out = PreviewOut(would_send=[], suppressed={})
    for member_id in members:
        state = states.get(member_id)
        if state is None:
            continue
        verdict = decide(limits, state, now, None)
        if verdict.outcome is DecisionOutcome.sent:
            out.would_send.append(member_id)
        else:
            out.suppressed.setdefault(verdict.outcome.value, []).append(member_id)
    return out
