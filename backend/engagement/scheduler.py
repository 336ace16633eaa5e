"""One evaluation pass of one workspace: find due (trigger, member, occurrence) firings, decide each by the
rules, act, and log every decision.

Firings are inserted under their unique key (ON CONFLICT DO NOTHING): a second worker, or a job retried after
a crash, finds the key taken and inserts nothing, so nothing is decided or sent twice. The pass runs in one
transaction under a per-workspace advisory lock (a second worker skips a workspace being evaluated), so
caps across triggers count every send of the pass; a worker killed mid-pass rolls its whole pass back, and the
next pass finds the same firings again. Messages go through the one outbox (delivery follows the commit).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.engagement import repository
from backend.engagement.actions import Actions, Due
from backend.engagement.rules import Limits, Verdict, decide
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.enums import (
    ActionType,
    DecisionOutcome,
    FiringStatus,
)
from common.models import Decision, Firing, Trigger

log = structlog.get_logger()
BATCH = 5000  # firings decided per pass (the rest wait for the next)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class PassStats:
    found: int = 0
    decided: dict[str, int] = field(default_factory=dict)
    busy: bool = False  # another worker held this workspace


def limits_of(t: Trigger) -> Limits:
    quiet = (t.quiet_hours["start"], t.quiet_hours["end"]) if t.quiet_hours else None
    return Limits(
        t.id, ActionType(t.action["type"]), quiet, t.cooldown_hours, t.max_per_day, t.max_per_week, t.holdout_percent
    )


async def _insert_firings(
    db: AsyncSession, creator_id: uuid.UUID, trigger: Trigger, found: list[repository.Candidate], now: datetime
) -> int:
    new = 0
    for i in range(0, len(found), 5000):
        rows = [
            {
                "id": uuid.uuid4(),
                "creator_id": creator_id,
                "trigger_id": trigger.id,
                "member_id": m,
                "occurrence": occurrence[:200],
                "status": FiringStatus.pending.value,
                "due_at": now,
                "created_at": now,
            }
            for m, occurrence in found[i : i + 5000]
        ]
        result = await db.execute(insert(Firing).on_conflict_do_nothing().returning(col(Firing.id)), rows)
        new += len(result.all())
    return new


async def evaluate(
    platform: Platform, db: AsyncSession, creator_id: uuid.UUID, now: datetime | None = None
) -> PassStats:
    """One pass over this workspace's enabled triggers, in the caller's transaction (flushes, never commits)."""
    now = now or utcnow()
    stats = PassStats()
    locked = (
        await db.execute(
            text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"engagement:{creator_id}"}
        )
    ).scalar()
    if not locked:
        stats.busy = True
        return stats
    triggers = {t.id: t for t in (await db.execute(select(Trigger).where(col(Trigger.enabled).is_(True)))).scalars()}
    for t in triggers.values():
        stats.found += await _insert_firings(db, creator_id, t, await repository.candidates(db, t, now), now)
    if not triggers:
        return stats
    rows = await db.execute(
        select(
            col(Firing.id),
            col(Firing.trigger_id),
            col(Firing.member_id),
            col(Firing.occurrence),
            col(Firing.created_at),
        )
        .where(
            col(Firing.status) == FiringStatus.pending,
            col(Firing.due_at) <= now,
            col(Firing.trigger_id) == repository.ids(list(triggers)),
        )
        .order_by(col(Firing.due_at), col(Firing.created_at), col(Firing.id))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    due = [Due(*row) for row in rows]
    states = await repository.member_states(db, list({d.member_id for d in due}), now)
    actions = Actions(platform, db, creator_id, now)
    sends: list[tuple[Trigger, Due, str, str]] = []
    decided: list[tuple[Due, Verdict, str]] = []
    deferred: list[dict[str, Any]] = []
    for d in due:
        t, state = triggers[d.trigger_id], states.get(d.member_id)
        if state is None:
            continue
        verdict = decide(limits_of(t), state, now, d.created_at if d.created_at < now else None)
        reason = verdict.reason
        action = ActionType(t.action["type"])
        if verdict.outcome is DecisionOutcome.sent:
            if action is ActionType.notify_creator:
                reason = await actions.notify(t, d)
            elif action is ActionType.enroll:
                reason = await actions.enroll(t, d)
            else:
                sends.append((t, d, state.name, state.channel))
                state.sends.append(now)  # caps count this pass's sends too
                state.last_sent[t.id] = now
        if verdict.outcome is DecisionOutcome.deferred_quiet_hours and verdict.until is not None:
            deferred.append({"fid": d.id, "until": verdict.until})
        decided.append((d, verdict, reason))
        stats.decided[verdict.outcome.value] = stats.decided.get(verdict.outcome.value, 0) + 1
    messages = await actions.say(sends)
    channels = {d.id: channel for _, d, _, channel in sends}
    if decided:
        await db.execute(
            insert(Decision),
            [
                {
                    "id": uuid.uuid4(),
                    "creator_id": creator_id,
                    "trigger_id": d.trigger_id,
                    "member_id": d.member_id,
                    "firing_id": d.id,
                    "outcome": v.outcome.value,
                    "reason": reason,
                    "channel": channels.get(d.id),
                    "message_id": messages.get(d.id),
                    "at": now,
                }
                for d, v, reason in decided
            ],
        )
        later = {row["fid"] for row in deferred}
        await db.execute(
            update(Firing)
            .where(col(Firing.id) == repository.ids([d.id for d, _, _ in decided if d.id not in later]))
            .values(status=FiringStatus.done.value)
            .execution_options(synchronize_session=False)
        )
    if deferred:
        table = Firing.__table__  # type: ignore[attr-defined]
        await db.execute(
            update(table).where(table.c.id == bindparam("fid")).values(due_at=bindparam("until")), deferred
        )
    await db.flush()
    return stats


async def evaluate_workspace(platform: Platform, creator_id: uuid.UUID, now: datetime | None = None) -> PassStats:
    """A pass in a transaction of its own (the worker's unit; delivery follows its commit)."""
    async with platform.db.session(TenantContext(creator_id)) as db:
        stats = await evaluate(platform, db, creator_id, now)
        await db.commit()
    return stats


async def due_workspaces(platform: Platform) -> list[uuid.UUID]:
    async with platform.db.session(None) as db:
        found = list((await db.execute(text("SELECT creator_id FROM engagement_due_tenants()"))).scalars())
        await db.commit()
    return found
