"""The program runtime: enroll, advance on events and timers, pause/resume/unenroll.

Every step runs in ONE transaction of the caller's tenant session (the API commits at the request
boundary; the timer worker commits per timer), and is idempotent:
- an event is inserted first with its key (UNIQUE (enrollment_id, key)); a duplicate inserts nothing and
  the step does nothing;
- a timer is fired by `UPDATE ... SET fired_at WHERE fired_at IS NULL`, so a timer claimed twice (a lease
  that expired under a slow worker) still advances once;
- the enrollment row is locked (FOR UPDATE) for the step, so concurrent events serialise;
- messages carry a client id derived from the step number (UNIQUE (conversation_id, client_id)).
Events for a node the member already left are recorded with outcome "stale" and change nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.errors import Conflict, InvalidInput, NotFound
from backend.programs.engine import Context, Engine, Event, Outcome, initial_state, next_time_of_day
from backend.programs.graph import Graph, parse
from common.models import (
    Achievement,
    Conversation,
    Enrollment,
    Member,
    Message,
    Program,
    ProgramEvent,
    ProgramTimer,
    ProgramVersion,
)

RUNNING = ("active", "paused")


@dataclass
class StepResult:
    outcome: str  # applied | duplicate | stale | inactive | error
    detail: str = ""
    enrollment: Enrollment | None = None
    messages: list[str] = field(default_factory=list)
    timers: list[datetime] = field(default_factory=list)  # new due times (the caller may kick the worker)


def utcnow() -> datetime:
    return datetime.now(UTC)


_GRAPHS: dict[tuple[uuid.UUID, uuid.UUID], Graph] = {}
_GRAPHS_MAX = 512


async def version_graph(db: AsyncSession, creator_id: uuid.UUID, version_id: uuid.UUID) -> Graph:
    """Published versions are frozen: their parsed graph is cached per (tenant, version id).

    The first read goes through RLS; the key carries the tenant, so a hit never serves another tenant's graph.
    """
    key = (creator_id, version_id)
    graph = _GRAPHS.get(key)
    if graph is None:
        raw = (
            await db.execute(select(col(ProgramVersion.graph)).where(col(ProgramVersion.id) == version_id))
        ).scalar_one()
        graph = parse(raw)[0]
        if len(_GRAPHS) >= _GRAPHS_MAX:
            _GRAPHS.clear()
        _GRAPHS[key] = graph
    return graph


def member_view(m: Member) -> dict[str, Any]:
    return {"display_name": m.display_name, "external_id": m.external_id, "timezone": m.timezone}


async def _conversation(db: AsyncSession, e: Enrollment, now: datetime) -> uuid.UUID:
    cid = e.state.get("conversation_id")
    if cid:
        return uuid.UUID(cid)
    found = (
        await db.execute(
            select(col(Conversation.id))
            .where(col(Conversation.member_id) == e.member_id, col(Conversation.kind) == "member")
            .order_by(col(Conversation.updated_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if found is None:
        conv = Conversation(creator_id=e.creator_id, member_id=e.member_id, kind="member", title="Coaching program")
        db.add(conv)
        await db.flush()
        found = conv.id
    return found


async def _apply(db: AsyncSession, e: Enrollment, out: Outcome, now: datetime) -> StepResult:
    """Write one step's effects. Runs inside the caller's transaction, the enrollment row locked."""
    result = StepResult("applied", out.detail, e)
    if out.status == "error":
        e.status = "paused"
        out.state["error"] = out.detail
        result.outcome = "error"
    step = e.steps + 1
    if out.cancel_timer or out.timer is not None:
        await db.execute(
            update(ProgramTimer)
            .where(col(ProgramTimer.enrollment_id) == e.id, col(ProgramTimer.fired_at).is_(None))
            .values(fired_at=now, outcome="cancelled")
        )
    if out.messages:
        conversation_id = await _conversation(db, e, now)
        out.state["conversation_id"] = str(conversation_id)
        rows = [
            {
                "id": uuid.uuid4(),
                "creator_id": e.creator_id,
                "conversation_id": conversation_id,
                "role": "assistant",
                "content": content,
                "client_id": f"prg:{e.id.hex[:24]}:{step}:{i}",
                "mode": "program",
                "citations": [],
                "created_at": now + timedelta(microseconds=i),
            }
            for i, (_, content) in enumerate(out.messages)
        ]
        await db.execute(insert(Message).values(rows).on_conflict_do_nothing())
        await db.execute(update(Conversation).where(col(Conversation.id) == conversation_id).values(updated_at=now))
        result.messages = [content for _, content in out.messages]
    if out.timer is not None:
        await db.execute(
            insert(ProgramTimer).values(
                id=uuid.uuid4(),
                creator_id=e.creator_id,
                enrollment_id=e.id,
                node_id=out.timer.node,
                kind=out.timer.kind,
                due_at=out.timer.due_at,
            )
        )
        result.timers.append(out.timer.due_at)
    if out.goals:
        await db.execute(
            insert(Achievement)
            .values(
                [
                    {
                        "id": uuid.uuid4(),
                        "creator_id": e.creator_id,
                        "enrollment_id": e.id,
                        "member_id": e.member_id,
                        "node_id": node,
                        "occurrence": n,
                        "name": name[:200],
                        "achieved_at": now,
                    }
                    for node, name, n in out.goals
                ]
            )
            .on_conflict_do_nothing()
        )
    e.state = out.state
    e.current_node = out.state.get("node")
    e.steps = step
    e.updated_at = now
    if out.completed:
        e.status, e.completed_at = "completed", now
    await db.flush()
    return result


async def _locked(db: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment:
    e = (
        await db.execute(
            select(Enrollment)
            .where(col(Enrollment.id) == enrollment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if e is None:
        raise NotFound("Enrollment not found")
    return e


async def _member(db: AsyncSession, member_id: uuid.UUID) -> Member:
    m = await db.get(Member, member_id)
    if m is None:
        raise NotFound("Member not found")
    return m


async def enroll(
    db: AsyncSession, creator_id: uuid.UUID, program_id: uuid.UUID, member_id: uuid.UUID, now: datetime | None = None
) -> StepResult:
    """Put a member on the program's published version and run to the first wait/check-in."""
    now = now or utcnow()
    program = await db.get(Program, program_id)
    if program is None:
        raise NotFound("Program not found")
    if program.published_version is None:
        raise Conflict("Publish the program before enrolling members")
    member = await _member(db, member_id)
    version_id = (
        await db.execute(
            select(col(ProgramVersion.id)).where(
                col(ProgramVersion.program_id) == program_id, col(ProgramVersion.version) == program.published_version
            )
        )
    ).scalar_one()
    running = (
        await db.execute(
            select(col(Enrollment.id)).where(
                col(Enrollment.program_id) == program_id,
                col(Enrollment.member_id) == member_id,
                col(Enrollment.status).in_(RUNNING),
            )
        )
    ).scalar_one_or_none()
    if running is not None:
        raise Conflict("This member is already enrolled in this program", extra={"enrollment_id": str(running)})
    e = Enrollment(
        creator_id=creator_id,
        program_id=program_id,
        version_id=version_id,
        member_id=member_id,
        status="active",
        state=initial_state(now),
        enrolled_at=now,
        updated_at=now,
    )
    db.add(e)
    await db.flush()
    graph = await version_graph(db, creator_id, version_id)
    out = Engine(graph).start(e.state, Context(now, member_view(member)))
    return await _apply(db, e, out, now)


async def _record(
    db: AsyncSession, e: Enrollment, key: str, type_: str, node: str | None, payload: dict[str, Any]
) -> uuid.UUID | None:
    stmt = (
        insert(ProgramEvent)
        .values(
            id=uuid.uuid4(),
            creator_id=e.creator_id,
            enrollment_id=e.id,
            key=key,
            type=type_,
            node_id=node,
            payload=payload,
            outcome="applied",
        )
        .on_conflict_do_nothing(index_elements=["enrollment_id", "key"])
        .returning(col(ProgramEvent.id))
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def _set_outcome(db: AsyncSession, event_id: uuid.UUID, outcome: str, detail: str) -> None:
    await db.execute(
        update(ProgramEvent).where(col(ProgramEvent.id) == event_id).values(outcome=outcome, detail=detail[:2000])
    )


async def handle_event(
    db: AsyncSession,
    enrollment_id: uuid.UUID,
    type_: str,
    key: str,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> StepResult:
    """An answer, a behaviour event or a member's twin turn. Duplicates (same key) do nothing."""
    now = now or utcnow()
    e = await _locked(db, enrollment_id)  # lock first: a concurrent duplicate waits, then sees the key
    node = payload.get("node_id")
    node = str(node) if node is not None else None
    event_id = await _record(db, e, key, type_, node, payload)
    if event_id is None:
        return StepResult("duplicate", f"event {key!r} was already received", e)
    if e.status != "active":
        await _set_outcome(db, event_id, "inactive", f"enrollment is {e.status}")
        return StepResult("inactive", f"enrollment is {e.status}", e)
    value = payload.get("value") if type_ == "answer" else payload.get("text")
    event = Event(type_, node, value, name=payload.get("name") if type_ == "event" else None)
    member = await _member(db, e.member_id)
    out = Engine(await version_graph(db, e.creator_id, e.version_id)).handle(
        e.state, event, Context(now, member_view(member))
    )
    if out.status == "invalid":
        raise InvalidInput(out.detail)  # rolls back: the key stays free for a corrected retry
    if out.status == "stale":
        await _set_outcome(db, event_id, "stale", out.detail)
        return StepResult("stale", out.detail, e)
    result = await _apply(db, e, out, now)
    if result.outcome != "applied":
        await _set_outcome(db, event_id, result.outcome, out.detail)
    return result


async def fire_timer(db: AsyncSession, timer_id: uuid.UUID, now: datetime | None = None) -> StepResult:
    """Advance the enrollment a due timer belongs to, once (the caller's session is tenant-scoped)."""
    now = now or utcnow()
    row = (
        await db.execute(
            select(col(ProgramTimer.enrollment_id), col(ProgramTimer.node_id), col(ProgramTimer.kind)).where(
                col(ProgramTimer.id) == timer_id
            )
        )
    ).one_or_none()
    if row is None:
        return StepResult("stale", "timer not found")
    e = await _locked(db, row[0])
    fired = (
        await db.execute(
            update(ProgramTimer)
            .where(col(ProgramTimer.id) == timer_id, col(ProgramTimer.fired_at).is_(None))
            .values(fired_at=now, outcome="fired")
            .returning(col(ProgramTimer.id))
        )
    ).scalar_one_or_none()
    if fired is None:
        return StepResult("duplicate", "timer already fired or cancelled", e)
    if e.status != "active":
        await db.execute(update(ProgramTimer).where(col(ProgramTimer.id) == timer_id).values(outcome="stale"))
        return StepResult("inactive", f"enrollment is {e.status}", e)
    member = await _member(db, e.member_id)
    event = Event("timer", row[1], kind=row[2])
    out = Engine(await version_graph(db, e.creator_id, e.version_id)).handle(
        e.state, event, Context(now, member_view(member))
    )
    if out.status in ("stale", "invalid"):
        await db.execute(update(ProgramTimer).where(col(ProgramTimer.id) == timer_id).values(outcome="stale"))
        return StepResult("stale", out.detail, e)
    return await _apply(db, e, out, now)


async def pause(db: AsyncSession, enrollment_id: uuid.UUID, now: datetime | None = None) -> Enrollment:
    """Stop the clock: the pending timer is cancelled and what was left of it remembered."""
    now = now or utcnow()
    e = await _locked(db, enrollment_id)
    if e.status != "active":
        raise Conflict(f"Only an active enrollment can be paused (this one is {e.status})")
    state = dict(e.state)
    timer = state.get("timer")
    if timer:
        remaining = (datetime.fromisoformat(timer["due_at"]) - now).total_seconds()
        state["paused_timer"] = {**timer, "remaining_seconds": max(0.0, remaining)}
    await db.execute(
        update(ProgramTimer)
        .where(col(ProgramTimer.enrollment_id) == e.id, col(ProgramTimer.fired_at).is_(None))
        .values(fired_at=now, outcome="cancelled")
    )
    e.state, e.status, e.updated_at = state, "paused", now
    await db.flush()
    return e


async def resume(db: AsyncSession, enrollment_id: uuid.UUID, now: datetime | None = None) -> StepResult:
    """Restart the clock: a wait until a time of day aims at its next occurrence; others get their rest."""
    now = now or utcnow()
    e = await _locked(db, enrollment_id)
    if e.status != "paused":
        raise Conflict(f"Only a paused enrollment can be resumed (this one is {e.status})")
    state = dict(e.state)
    state.pop("error", None)
    paused = state.pop("paused_timer", None)
    due: list[datetime] = []
    if paused:
        graph = await version_graph(db, e.creator_id, e.version_id)
        node = graph.nodes.get(paused["node"])
        member = await _member(db, e.member_id)
        if node is not None and node.type == "wait" and node.data.get("until"):
            when = next_time_of_day(now, node.data["until"], member.timezone)
        else:
            when = now + timedelta(seconds=float(paused.get("remaining_seconds", 0)))
        state["timer"] = {"node": paused["node"], "kind": paused["kind"], "due_at": when.isoformat()}
        await db.execute(
            insert(ProgramTimer).values(
                id=uuid.uuid4(),
                creator_id=e.creator_id,
                enrollment_id=e.id,
                node_id=paused["node"],
                kind=paused["kind"],
                due_at=when,
            )
        )
        due.append(when)
    e.state, e.status, e.updated_at = state, "active", now
    await db.flush()
    return StepResult("applied", "resumed", e, timers=due)


async def unenroll(db: AsyncSession, enrollment_id: uuid.UUID, now: datetime | None = None) -> Enrollment:
    now = now or utcnow()
    e = await _locked(db, enrollment_id)
    if e.status not in RUNNING:
        raise Conflict(f"This enrollment has already ended ({e.status})")
    await db.execute(
        update(ProgramTimer)
        .where(col(ProgramTimer.enrollment_id) == e.id, col(ProgramTimer.fired_at).is_(None))
        .values(fired_at=now, outcome="cancelled")
    )
    e.status, e.updated_at, e.completed_at = "unenrolled", now, now
    await db.flush()
    return e


async def claim_due(db: AsyncSession, limit: int, lease_seconds: int = 300) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Claim due timers across tenants through the narrow SECURITY DEFINER path: (timer id, creator id)."""
    rows = await db.execute(
        text("SELECT timer_id, creator_id FROM claim_program_timers(:limit, :lease)"),
        {"limit": limit, "lease": lease_seconds},
    )
    return [(r[0], r[1]) for r in rows]
