"""One evaluation pass of one workspace: find due (trigger, member, occurrence) firings, decide each by the
rules, act, and log every decision.

Firings are inserted under their unique key (ON CONFLICT DO NOTHING): a second worker, or a job retried after
a crash, finds the key taken and inserts nothing, so nothing is decided or sent twice. The pass runs in one
transaction under a per-workspace advisory lock (a second worker skips a workspace being evaluated), so
caps across triggers count every send of the pass; a worker killed mid-pass rolls its whole pass back, and the
next pass finds the same firings again. Messages go through the one outbox (delivery follows the commit).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.delivery import outbox
from backend.engagement import repository
from backend.engagement.rules import Limits, MemberState, Verdict, decide
from backend.lib.db import after_commit
from backend.lib.errors import DomainError
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.programs import runtime
from backend.programs.jobs import kick
from backend.twin import nudge
from backend.twin.repository import latest_member_conversation
from common.enums import (
    ActionType,
    ConversationKind,
    DecisionOutcome,
    FiringStatus,
    MessageRole,
    MessageSender,
)
from common.models import Conversation, Decision, Firing, Member, Message, Trigger

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


def _render(template: str, member: Member) -> str:
    name = member.display_name or "there"
    return template.replace("{{name}}", name).replace("{{ name }}", name)


class Pass:
    """The actions of one pass (a twin nudge is written once per trigger and pass)."""

    def __init__(self, platform: Platform, db: AsyncSession, creator_id: uuid.UUID, now: datetime) -> None:
        self.platform, self.db, self.creator_id, self.now = platform, db, creator_id, now
        self.nudges: dict[uuid.UUID, nudge.Nudge] = {}

    async def _conversation(self, member_id: uuid.UUID) -> Conversation:
        conv = await latest_member_conversation(self.db, member_id)
        if conv is None:
            conv = Conversation(creator_id=self.creator_id, member_id=member_id, kind=ConversationKind.member)
            self.db.add(conv)
        conv.updated_at = self.now
        await self.db.flush()
        return conv

    async def _say(self, t: Trigger, f: Firing, state: MemberState) -> uuid.UUID:
        member = await self.db.get(Member, f.member_id)
        assert member is not None
        meta: dict[str, object] = {"trigger_id": str(t.id)}
        if t.action["type"] == ActionType.twin_nudge:
            if t.id not in self.nudges:
                self.nudges[t.id] = await nudge.write(self.platform, self.db, self.creator_id, t.action["topic"])
            n = self.nudges[t.id]
            content, mode, grounded, citations = n.text, n.mode, n.grounded, n.citations
        else:
            content, mode, grounded, citations = _render(t.action["text"], member), None, None, []
        conv = await self._conversation(f.member_id)
        channel = outbox.channel_for(state.channel)
        message = Message(
            creator_id=self.creator_id,
            conversation_id=conv.id,
            role=MessageRole.assistant,
            sender=MessageSender.proactive,
            channel=channel,
            content=content,
            client_id=f"eng:{f.id.hex}",
            mode=mode,
            grounded=grounded,
            citations=citations,
            meta=meta,
            created_at=self.now,
        )
        self.db.add(message)
        await self.db.flush()
        await outbox.stage(
            self.db, self.creator_id, [outbox.Outgoing(f.member_id, message.id, f"engage:{f.id}", channel)]
        )
        return message.id

    async def _enroll(self, t: Trigger, f: Firing) -> str:
        try:
            async with self.db.begin_nested():
                result = await runtime.enroll(
                    self.db, self.creator_id, uuid.UUID(t.action["program_id"]), f.member_id, self.now
                )
        except DomainError as exc:
            return f"not enrolled: {exc.detail}"
        for due in result.timers:
            after_commit(self.db, functools.partial(kick, self.platform, due))
        return "enrolled in the program"

    async def _notify(self, t: Trigger, f: Firing) -> str:
        conv = await self._conversation(f.member_id)
        conv.handoff_requested_at = self.now
        conv.handoff_reason = f"Engagement trigger {t.name!r} ({t.kind}): {f.occurrence}"[:500]
        await self.db.flush()
        return "the creator is told (listed with the handoff requests in Conversations)"

    async def act(self, t: Trigger, f: Firing, state: MemberState, verdict: Verdict) -> Decision:
        action = ActionType(t.action["type"])
        reason, message_id, channel = verdict.reason, None, None
        if verdict.outcome is DecisionOutcome.sent:
            if action is ActionType.notify_creator:
                reason = await self._notify(t, f)
            elif action is ActionType.enroll:
                reason = await self._enroll(t, f)
            else:
                message_id, channel = await self._say(t, f, state), state.channel
                state.sends.append(self.now)
                state.last_sent[t.id] = self.now
        return Decision(
            creator_id=self.creator_id,
            trigger_id=t.id,
            member_id=f.member_id,
            firing_id=f.id,
            outcome=verdict.outcome.value,
            reason=reason,
            channel=channel,
            message_id=message_id,
            at=self.now,
        )


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
    due = list(
        (
            await db.execute(
                select(Firing)
                .where(
                    col(Firing.status) == FiringStatus.pending,
                    col(Firing.due_at) <= now,
                    col(Firing.trigger_id) == repository.ids(list(triggers)),
                )
                .order_by(col(Firing.due_at), col(Firing.created_at), col(Firing.id))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    states = await repository.member_states(db, list({f.member_id for f in due}), now)
    work = Pass(platform, db, creator_id, now)
    for f in due:
        t, state = triggers[f.trigger_id], states.get(f.member_id)
        if state is None:
            continue
        verdict = decide(limits_of(t), state, now, f.created_at if f.created_at < now else None)
        db.add(await work.act(t, f, state, verdict))
        if verdict.outcome is DecisionOutcome.deferred_quiet_hours and verdict.until is not None:
            f.due_at = verdict.until
        else:
            f.status = FiringStatus.done.value
        stats.decided[verdict.outcome.value] = stats.decided.get(verdict.outcome.value, 0) + 1
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
