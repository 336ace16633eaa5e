"""The simulated weeks: the cohort runs the program through the real runtime on a simulated clock.

The clock moves in hours. Within an hour every due thing happens in time order: enrollments, the program's
timers (fired by `runtime.fire_timers` at their due time, those sharing a due time as one batch, as a worker
would), members' answers (their chat message, the receipt and `runtime.handle_event` under the message's key,
as the chat inbox does), members leaving (`runtime.unenroll`) and, every few hours, the engagement pass
(`scheduler.evaluate`). Every row carries its simulated time. One transaction per simulated hour.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.delivery import outbox
from backend.demo.cohort import Person, Script
from backend.engagement import scheduler
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.programs import inbox, repository, runtime
from common.enums import (
    DecisionOutcome,
    EnrollmentStatus,
    MessageRole,
    MessageSender,
    ProgramEventType,
    ReplyMode,
    WaitingFor,
)
from common.models import Decision, Message

CHECKIN = "intention"  # the Stoic morning check-in the cohort answers
EVALUATE_EVERY = timedelta(hours=6)
# While the weeks are simulated, a running worker must not fire their timers (all due in real time) nor send
# their messages: the simulation's timers stay claimed "for ever", its outbox rows are settled as they commit.
_HOLD_TIMERS = text("UPDATE program_timers SET claimed_at = 'infinity' WHERE fired_at IS NULL AND claimed_at IS NULL")
RELEASE_TIMERS = text("UPDATE program_timers SET claimed_at = NULL WHERE claimed_at = 'infinity'")
SETTLE_OUTBOX = text(
    "UPDATE outbox o SET status = 'sent', sent_at = m.created_at, created_at = m.created_at, "
    "updated_at = m.created_at, next_attempt_at = m.created_at FROM messages m "
    "WHERE m.id = o.message_id AND o.status = 'queued'"
)
_ENABLE = text("UPDATE engagement_triggers SET enabled = :on WHERE id = :id")
_NEXT_TIMERS = text(
    "SELECT due_at, array_agg(id) FROM program_timers WHERE fired_at IS NULL AND due_at < :until "
    "GROUP BY due_at ORDER BY due_at LIMIT 1"
)


@dataclass
class Counts:
    enrolled: int = 0
    questions: int = 0
    answers: int = 0
    left: int = 0
    nudged: int = 0
    held_out: int = 0
    chats: list[tuple[Person, datetime]] = field(default_factory=list)  # twin questions, put after the weeks


@dataclass
class Cohort:
    """The people, their member and enrollment ids, and the events waiting on the simulated clock."""

    script: Script
    program_id: uuid.UUID
    trigger_id: uuid.UUID
    people: dict[uuid.UUID, Person]  # member id -> person
    enrollment_of: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # member id -> enrollment id
    member_of: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # enrollment id -> member id
    queue: list[tuple[datetime, int, str, Any]] = field(default_factory=list)
    seq: itertools.count[int] = field(default_factory=itertools.count)
    counts: Counts = field(default_factory=Counts)

    def push(self, at: datetime, kind: str, payload: Any) -> None:
        heapq.heappush(self.queue, (at, next(self.seq), kind, payload))


async def _asked(db: AsyncSession, c: Cohort, results: list[runtime.StepResult], at: datetime) -> None:
    """After timers fired: each member just asked the morning check-in decides (the script) what to do."""
    for r in results:
        e = r.enrollment
        if e is None or e.status != EnrollmentStatus.active or e.state.get("waiting") != WaitingFor.answer:
            continue
        if e.state.get("node") != CHECKIN or r.outcome != "applied":
            continue
        p = c.people[e.member_id]
        c.counts.questions += 1
        answer = c.script.answer(p, at)
        if answer is not None:
            delay, value = answer
            c.push(at + delay, "answer", (e.member_id, value))
            if p.chats and p.answered in range(2, 2 + p.chats * 3, 3):  # a question to the twin now and then
                c.counts.chats.append((p, at + delay + timedelta(minutes=20)))
        elif c.script.leaves_now(p):
            c.push(at + timedelta(hours=13), "leave", e.member_id)


async def _answer(db: AsyncSession, c: Cohort, member_id: uuid.UUID, value: int, at: datetime) -> None:
    """The member replies in the program's conversation: their message, the receipt, the runtime's step."""
    enrollment_id = c.enrollment_of[member_id]
    e = await db.get(runtime.Enrollment, enrollment_id)
    if e is None or e.status != EnrollmentStatus.active or e.state.get("node") != CHECKIN:
        return
    conversation = uuid.UUID(e.state["conversation_id"])
    message_id = uuid.uuid4()
    base = {"creator_id": e.creator_id, "conversation_id": conversation, "channel": "web", "citations": []}
    await db.execute(
        insert(Message),
        [
            {**base, "id": message_id, "role": MessageRole.user, "sender": MessageSender.member,
             "content": str(value), "client_id": f"demo:{message_id.hex[:24]}", "created_at": at},
            {**base, "id": uuid.uuid4(), "role": MessageRole.assistant, "sender": MessageSender.program,
             "content": inbox.RECEIPT, "mode": ReplyMode.program, "grounded": True,
             "created_at": at + timedelta(milliseconds=1)},
        ],
    )  # fmt: skip
    step = await runtime.handle_event(
        db, enrollment_id, ProgramEventType.answer, f"chat:{message_id}", {"value": str(value), "node_id": CHECKIN}, at
    )
    c.counts.answers += step.outcome == "applied"


async def _evaluate(platform: Platform, db: AsyncSession, c: Cohort, creator_id: uuid.UUID, at: datetime) -> None:
    """The engagement pass at `at`; whoever it nudged answers more readily for two days. The trigger is on only
    inside this transaction, so a running worker's pass (at the real time) never sees it during the weeks."""
    await db.execute(_ENABLE, {"on": True, "id": c.trigger_id})
    await scheduler.evaluate(platform, db, creator_id, at)
    await db.execute(_ENABLE, {"on": False, "id": c.trigger_id})
    rows = await db.execute(
        select(col(Decision.member_id), col(Decision.outcome)).where(
            col(Decision.at) == at, col(Decision.outcome).in_([DecisionOutcome.sent, DecisionOutcome.holdout])
        )
    )
    for member_id, outcome in rows:
        if outcome == DecisionOutcome.sent:
            c.counts.nudged += 1
            if (p := c.people.get(member_id)) is not None:
                p.nudged_until = at + timedelta(hours=48)
        else:
            c.counts.held_out += 1


async def _step(platform: Platform, db: AsyncSession, c: Cohort, creator_id: uuid.UUID, until: datetime) -> bool:
    """The next due thing before `until`, done; False when nothing is due."""
    timers = (await db.execute(_NEXT_TIMERS, {"until": until})).first()
    top = c.queue[0][0] if c.queue else None
    if timers is None and (top is None or top >= until):
        return False
    if timers is not None and (top is None or timers[0] <= top):
        due, ids = timers
        fired = await runtime.fire_timers(db, list(ids), due)
        await _asked(db, c, list(fired.values()), due)
        return True
    at, _, kind, payload = heapq.heappop(c.queue)
    if kind == "enroll":
        step = await runtime.enroll(db, creator_id, c.program_id, payload, at)
        assert step.enrollment is not None
        c.enrollment_of[payload] = step.enrollment.id
        c.member_of[step.enrollment.id] = payload
        c.people[payload].version = await repository.version_number(db, step.enrollment.version_id) or 1
        c.counts.enrolled += 1
    elif kind == "answer":
        await _answer(db, c, payload[0], payload[1], at)
    elif kind == "leave":
        e = await db.get(runtime.Enrollment, c.enrollment_of[payload])
        if e is not None and e.status in runtime.RUNNING:
            await runtime.unenroll(db, e.id, at)
            c.counts.left += 1
    elif kind == "evaluate":
        await _evaluate(platform, db, c, creator_id, at)
    return True


async def run(
    platform: Platform,
    creator_id: uuid.UUID,
    c: Cohort,
    start: datetime,
    end: datetime,
    progress: Callable[[datetime, Counts], None],
    begin: Callable[[AsyncSession], Awaitable[object]] | None = None,
) -> Counts:
    """`begin` runs first in each hour's transaction (e.g. to take a lock a concurrent worker would want)."""
    for member_id, p in c.people.items():
        c.push(p.enroll_at, "enroll", member_id)
    at = start + EVALUATE_EVERY
    while at < end:
        c.push(at, "evaluate", None)
        at += EVALUATE_EVERY
    hour, day = start, start.date()
    tenant = TenantContext(creator_id)
    while hour < end:
        until = min(hour + timedelta(hours=1), end)
        async with platform.db.session(tenant) as db:
            if begin is not None:
                await begin(db)
            while await _step(platform, db, c, creator_id, until):
                pass
            outbox.take_staged(db)  # history: its messages were read back then, nothing is delivered now
            await db.execute(SETTLE_OUTBOX)
            await db.execute(_HOLD_TIMERS)
            await db.commit()
        hour = until
        if hour.date() != day:
            day = hour.date()
            progress(hour, c.counts)
    async with platform.db.session(tenant) as db:  # from now on, the workers' as in any workspace
        await db.execute(RELEASE_TIMERS)
        await db.execute(_ENABLE, {"on": True, "id": c.trigger_id})
        await db.commit()
    return c.counts
