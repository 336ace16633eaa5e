"""The scheduler's queries: each trigger kind's due members as (member, occurrence) pairs, found by indexed
queries of recent change (never a scan of every member's history), the audience filter, and what the rules
need to know of the members concerned."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Uuid, and_, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.engagement.rules import MemberState, zone
from backend.lib.streaks import broken_on
from common.enums import DecisionOutcome, EnrollmentStatus, TriggerKind
from common.models import (
    Achievement,
    Conversation,
    Decision,
    Enrollment,
    Member,
    MemberEngagement,
    MemberEvent,
    MemberIdentity,
    Trigger,
)

Candidate = tuple[uuid.UUID, str]  # (member, occurrence)
RECENT = timedelta(days=7)  # streaks broken, events and flags older than this (before a trigger existed) are history


def ids(values: Sequence[uuid.UUID]) -> Any:
    return any_(bindparam(None, list(values), type_=ARRAY(Uuid())))


_INACTIVE = text(
    """
SELECT m.id, s.occurrence FROM members m
LEFT JOIN member_engagement e ON e.member_id = m.id
CROSS JOIN LATERAL (
  SELECT 'inactive:' || floor(extract(epoch FROM coalesce(e.last_active_at, m.last_seen_at, m.created_at)))::bigint
    AS occurrence
) s
WHERE coalesce(e.last_active_at, m.last_seen_at, m.created_at) < :cutoff
  AND NOT EXISTS (
    SELECT 1 FROM engagement_firings f
    WHERE f.trigger_id = :trigger AND f.member_id = m.id AND f.occurrence = s.occurrence
  )
"""
)


async def _inactive(db: AsyncSession, trigger_id: uuid.UUID, days: int, now: datetime) -> list[Candidate]:
    """Members quiet for `days`, their last activity (events, their own messages; else when last seen or
    created) naming the occurrence; those already fired for it are left out by the firings' unique index."""
    rows = await db.execute(_INACTIVE, {"cutoff": now - timedelta(days=days), "trigger": trigger_id})
    return [(m, occurrence) for m, occurrence in rows]


_MISSED = text(
    """
SELECT member_id, (array_agg(id ORDER BY due_at DESC))[1] AS last_id FROM (
  SELECT e.member_id, t.id, t.due_at, t.outcome,
         row_number() OVER (PARTITION BY e.member_id ORDER BY t.due_at DESC) AS n
  FROM program_timers t JOIN program_enrollments e ON e.id = t.enrollment_id
  WHERE t.kind = 'window' AND t.fired_at IS NOT NULL AND t.fired_at <= :now
    AND (CAST(:program AS uuid) IS NULL OR e.program_id = CAST(:program AS uuid))
) s WHERE n <= :k GROUP BY member_id HAVING count(*) = :k AND bool_and(outcome = 'fired')
"""
)


async def _missed(db: AsyncSession, count: int, program_id: str | None, now: datetime) -> list[Candidate]:
    """K check-in windows in a row that closed unanswered (an answer cancels its window's timer)."""
    rows = await db.execute(_MISSED, {"now": now, "program": program_id, "k": count})
    return [(m, f"missed:{last}") for m, last in rows]


async def _streaks(db: AsyncSession, event: str, grace_days: int, now: datetime) -> list[Candidate]:
    """The daily event's last local day, per member: broken once `grace_days` more days went by undone."""
    since = now - RECENT - timedelta(days=grace_days + 2)
    rows = await db.execute(
        select(col(MemberEvent.member_id), func.max(col(MemberEvent.at)), col(Member.timezone))
        .join(Member, col(Member.id) == col(MemberEvent.member_id))
        .where(col(MemberEvent.name) == event, col(MemberEvent.at) >= since)
        .group_by(col(MemberEvent.member_id), col(Member.timezone))
        .having(func.max(col(MemberEvent.at)) < now - timedelta(days=grace_days + 1))  # broken in any zone needs this
    )
    out: list[Candidate] = []
    for member_id, last, tz_name in rows:
        tz = zone(tz_name)
        last_day, today = last.astimezone(tz).date(), now.astimezone(tz).date()
        broken = broken_on(last_day, grace_days)
        if broken <= today < broken + RECENT:
            out.append((member_id, f"streak:{event}:{last_day.isoformat()}"))
    return out


async def _milestones(db: AsyncSession, params: dict[str, Any], since: datetime) -> list[Candidate]:
    if "goal" in params:
        rows = await db.execute(
            select(col(Achievement.member_id), col(Achievement.id)).where(
                col(Achievement.name) == params["goal"], col(Achievement.achieved_at) >= since
            )
        )
        return [(m, f"goal:{a}") for m, a in rows]
    event, count = params["event"], params["count"]
    found = await db.execute(
        select(col(MemberEvent.member_id))
        .where(col(MemberEvent.name) == event)
        .group_by(col(MemberEvent.member_id))
        .having(func.count() >= count)
    )
    return [(m, f"count:{event}:{count}") for (m,) in found]


async def _events(db: AsyncSession, params: dict[str, Any], since: datetime) -> list[Candidate]:
    query = select(col(MemberEvent.member_id), col(MemberEvent.id)).where(
        col(MemberEvent.name) == params["name"], col(MemberEvent.received_at) >= since
    )
    if params.get("where"):
        query = query.where(col(MemberEvent.properties).op("@>")(bindparam(None, params["where"], type_=JSONB())))
    return [(m, f"event:{e}") for m, e in await db.execute(query)]


async def _risks(db: AsyncSession, since: datetime) -> list[Candidate]:
    rows = await db.execute(
        select(col(Conversation.member_id), col(Conversation.id)).where(
            col(Conversation.flagged).is_(True),
            col(Conversation.member_id).is_not(None),
            col(Conversation.updated_at) >= since,
        )
    )
    return [(m, f"risk:{c}") for m, c in rows if m is not None]


async def candidates(db: AsyncSession, trigger: Trigger, now: datetime) -> list[Candidate]:
    """The members this trigger is due for now, each with the occurrence that makes it due."""
    kind, params = TriggerKind(trigger.kind), trigger.params
    since = max(trigger.created_at, now - RECENT)
    if kind is TriggerKind.inactivity:
        found = await _inactive(db, trigger.id, int(params["days"]), now)
    elif kind is TriggerKind.missed_checkin:
        found = await _missed(db, int(params["count"]), params.get("program_id"), now)
    elif kind is TriggerKind.streak_broken:
        found = await _streaks(db, params["event"], int(params.get("grace_days", 1)), now)
    elif kind is TriggerKind.milestone:
        found = await _milestones(db, params, since)
    elif kind is TriggerKind.event:
        found = await _events(db, params, since)
    else:
        found = await _risks(db, since)
    return await in_audience(db, trigger.audience, found)


async def in_audience(db: AsyncSession, audience: dict[str, Any], found: list[Candidate]) -> list[Candidate]:
    if not audience or not found:
        return found
    query = select(col(Member.id)).where(col(Member.id) == ids([m for m, _ in found]))
    if audience.get("channel"):
        query = query.where(func.coalesce(col(Member.last_channel), "web") == audience["channel"])
    if audience.get("program_id"):
        running = select(col(Enrollment.member_id)).where(
            col(Enrollment.program_id) == uuid.UUID(audience["program_id"]),
            col(Enrollment.status).in_([EnrollmentStatus.active, EnrollmentStatus.paused]),
        )
        query = query.where(col(Member.id).in_(running))
    keep = set((await db.execute(query)).scalars())
    return [c for c in found if c[0] in keep]


async def member_states(
    db: AsyncSession, member_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, MemberState]:
    """What the rules read of these members: zone, channel, activity, preferences, last 7 days of sends."""
    if not member_ids:
        return {}
    rows = await db.execute(
        select(Member, MemberEngagement)
        .outerjoin(MemberEngagement, col(MemberEngagement.member_id) == col(Member.id))
        .where(col(Member.id) == ids(member_ids))
    )
    states: dict[uuid.UUID, MemberState] = {}
    for m, e in rows:
        quiet = (e.quiet_start, e.quiet_end) if e is not None and e.quiet_start and e.quiet_end else None
        states[m.id] = MemberState(
            member_id=m.id,
            tz=zone(m.timezone),
            channel=m.last_channel or "web",
            last_active_at=e.last_active_at if e is not None else None,
            quiet=quiet,
            paused_until=e.paused_until if e is not None else None,
            opt_out=frozenset(e.opt_out_channels if e is not None else ()),
            sends=[],
            last_sent={},
            name=m.display_name,
        )
    stopped = await db.execute(  # /stop on a messaging channel, a blocked bot (backend/channels)
        select(col(MemberIdentity.member_id), col(MemberIdentity.kind)).where(
            col(MemberIdentity.member_id) == ids(member_ids), col(MemberIdentity.opted_out_at).is_not(None)
        )
    )
    for member_id, kind in stopped:
        state = states.get(member_id)
        if state is not None:
            state.opt_out = state.opt_out | {kind.split("_", 1)[0]}  # telegram_chat -> telegram
    sent = await db.execute(
        select(col(Decision.member_id), col(Decision.trigger_id), col(Decision.at)).where(
            and_(
                col(Decision.member_id) == ids(member_ids),
                col(Decision.outcome) == DecisionOutcome.sent,
                col(Decision.channel).is_not(None),
                col(Decision.at) > now - timedelta(days=7),
            )
        )
    )
    for member_id, trigger_id, at in sent:
        state = states.get(member_id)
        if state is not None:
            state.sends.append(at)
            state.last_sent[trigger_id] = max(at, state.last_sent.get(trigger_id, at))
    return states
