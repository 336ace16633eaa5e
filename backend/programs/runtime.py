"""The program runtime: enroll, advance on events and timers, pause/resume/unenroll.

Every step runs in ONE transaction of the caller's tenant session (the API commits at the request
boundary; the timer worker commits per batch of one tenant's timers, each timer one step of its own
enrollment, the batch's effects written set-based), and is idempotent:
- an event is inserted first with its key (UNIQUE (enrollment_id, key)); a duplicate inserts nothing and
  the step does nothing;
- a timer is fired by `UPDATE ... SET fired_at WHERE fired_at IS NULL`, so a timer claimed twice (a lease
  that expired under a slow worker) still advances once;
- the enrollment row is locked (FOR UPDATE) for the step, so concurrent events serialise;
- messages carry a client id derived from the step number (UNIQUE (conversation_id, client_id)).
Events for a node the member already left are recorded with outcome `stale` and change nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.analytics import experiments
from backend.delivery import outbox
from backend.delivery.frames import check_in_meta
from backend.lib.errors import Conflict, InvalidInput, NotFound
from backend.lib.memo import BoundedMemo
from backend.programs import repository
from backend.programs.engine import Context, Engine, Event, Outcome, next_time_of_day
from backend.programs.graph import Graph, parse
from backend.programs.state import EngineState, PausedTimer, as_state, initial_state
from common.enums import (
    EnrollmentStatus,
    MessageRole,
    MessageSender,
    ProgramEventType,
    ReplyMode,
    StepOutcome,
    TimerKind,
    TimerOutcome,
)
from common.models import (
    Achievement,
    Enrollment,
    Member,
    Message,
    Program,
    ProgramEvent,
    ProgramTimer,
)

RUNNING = (EnrollmentStatus.active, EnrollmentStatus.paused)


@dataclass
class StepResult:
    outcome: StepOutcome  # applied | duplicate | stale | inactive | error
    detail: str = ""
    enrollment: Enrollment | None = None
    messages: list[str] = field(default_factory=list)
    timers: list[datetime] = field(default_factory=list)  # new due times (the caller may kick the worker)


def utcnow() -> datetime:
    return datetime.now(UTC)


_GRAPHS: BoundedMemo[tuple[uuid.UUID, uuid.UUID], Graph] = BoundedMemo(512)


async def version_graph(db: AsyncSession, creator_id: uuid.UUID, version_id: uuid.UUID) -> Graph:
    """Published versions are frozen: their parsed graph is cached per (tenant, version id).

    The first read goes through RLS; the key carries the tenant, so a hit never serves another tenant's graph.
    """
    key = (creator_id, version_id)
    graph = _GRAPHS.get(key)
    if graph is None:
        graph = _GRAPHS.put(key, parse(await repository.version_graph_by_id(db, version_id))[0])
    return graph


def member_view(display_name: str, external_id: str | None, timezone: str) -> dict[str, Any]:
    """What the engine knows of a member (an anonymous visitor has no external id)."""
    return {"display_name": display_name, "external_id": external_id or "", "timezone": timezone}


def _view(m: Member) -> dict[str, Any]:
    return member_view(m.display_name, m.external_id, m.timezone)


async def _apply(db: AsyncSession, steps: list[tuple[Enrollment, Outcome]], now: datetime) -> list[StepResult]:
    """Write the effects of one step each for several enrollments, set-based (one statement per kind of
    effect, whatever the number of steps). Runs inside the caller's transaction, the enrollment rows locked."""
    results = [StepResult(StepOutcome.applied, out.detail, e) for e, out in steps]
    cancel = [e.id for e, out in steps if out.cancel_timer or out.timer is not None]
    if cancel:
        await db.execute(
            update(ProgramTimer)
            .where(col(ProgramTimer.enrollment_id) == repository.ids(cancel), col(ProgramTimer.fired_at).is_(None))
            .values(fired_at=now, outcome=TimerOutcome.cancelled)
            .execution_options(synchronize_session=False)
        )
    talking = [e for e, out in steps if out.messages]
    conversations = iter(await repository.conversations_for(db, talking, now))
    reach = await outbox.channels_of(db, [e.member_id for e in talking]) if talking else {}
    messages: list[dict[str, Any]] = []
    members: dict[str, uuid.UUID] = {}  # message client id -> member, for the outbox
    timers: list[dict[str, Any]] = []
    goals: list[dict[str, Any]] = []
    for (e, out), result in zip(steps, results, strict=True):
        if out.status == StepOutcome.error:
            e.status = EnrollmentStatus.paused
            out.state["error"] = out.detail
            result.outcome = StepOutcome.error
        step = e.steps + 1
        if out.messages:
            conversation_id = next(conversations)
            out.state["conversation_id"] = str(conversation_id)
            graph = await version_graph(db, e.creator_id, e.version_id)
            messages += [
                {
                    "id": uuid.uuid4(),
                    "creator_id": e.creator_id,
                    "conversation_id": conversation_id,
                    "role": MessageRole.assistant,
                    "sender": MessageSender.program,
                    "channel": reach[e.member_id],
                    "content": content,
                    "client_id": f"prg:{e.id.hex[:24]}:{step}:{i}",
                    "mode": ReplyMode.program,
                    "citations": [],
                    "meta": _message_meta(graph, node_id, e.id),
                    "created_at": now + timedelta(microseconds=i),
                }
                for i, (node_id, content) in enumerate(out.messages)
            ]
            members.update((f"prg:{e.id.hex[:24]}:{step}:{i}", e.member_id) for i in range(len(out.messages)))
            result.messages = [content for _, content in out.messages]
        if out.timer is not None:
            timers.append(
                {
                    "id": uuid.uuid4(),
                    "creator_id": e.creator_id,
                    "enrollment_id": e.id,
                    "node_id": out.timer.node,
                    "kind": out.timer.kind,
                    "due_at": out.timer.due_at,
                }
            )
            result.timers.append(out.timer.due_at)
        goals += [
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
        _time_steps(e, out, now)
        e.state = dict(out.state)
        e.current_node = out.state.get("node")
        e.steps = step
        e.updated_at = now
        if out.completed:
            e.status, e.completed_at = EnrollmentStatus.completed, now
    if messages:
        # Program messages are the platform speaking first: each also goes to the outbox (delivery follows
        # the commit). A step replayed after a crash inserts neither again (the client ids are unique).
        written = await db.execute(
            insert(Message).on_conflict_do_nothing().returning(col(Message.id), col(Message.client_id)), messages
        )
        outgoing = [
            outbox.Outgoing(members[key], message_id, f"msg:{key}", reach[members[key]])
            for message_id, key in written.all()
            if key is not None
        ]
        if outgoing:
            await outbox.stage(db, steps[0][0].creator_id, outgoing)
    if timers:
        await db.execute(insert(ProgramTimer), timers)
    if goals:
        await db.execute(insert(Achievement).on_conflict_do_nothing(), goals)
    await db.flush()
    return results


def _time_steps(e: Enrollment, out: Outcome, now: datetime) -> None:
    """How long the member stayed at each step before the next one (first visit; analytics' funnel): the node
    they waited at until now, and 0 for nodes passed in this same step. A step that moves nowhere changes neither."""
    if not out.visited:
        return
    waits: dict[str, float] = dict(e.state.get("waits") or {})
    arrived = e.state.get("arrived_at")
    if e.current_node and arrived and e.current_node not in waits:
        waits[e.current_node] = max(0.0, (now - datetime.fromisoformat(arrived)).total_seconds())
    for node in out.visited[:-1]:
        waits.setdefault(node, 0.0)
    out.state["waits"] = waits
    out.state["arrived_at"] = now.isoformat()


def _message_meta(graph: Graph, node_id: str, enrollment_id: uuid.UUID) -> dict[str, Any]:
    """A check-in's question carries its answer options, so the member's chat can show them as buttons."""
    node = graph.nodes.get(node_id)
    if node is None or node.type != "checkin":
        return {}
    return {"check_in": check_in_meta({**node.data, "id": node.id}, enrollment_id)}


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
    member = await repository.member(db, member_id)
    # A running A/B experiment picks one of its two versions for this member (always the same one).
    number = await experiments.assigned_version(db, program_id, member_id) or program.published_version
    version_id = await repository.published_version_id(db, program_id, number)
    running = await repository.running_enrollment(db, program_id, member_id)
    if running is not None:
        raise Conflict("This member is already enrolled in this program", extra={"enrollment_id": str(running)})
    e = Enrollment(
        creator_id=creator_id,
        program_id=program_id,
        version_id=version_id,
        member_id=member_id,
        status=EnrollmentStatus.active,
        state=dict(initial_state(now)),
        enrolled_at=now,
        updated_at=now,
    )
    db.add(e)
    await db.flush()
    graph = await version_graph(db, creator_id, version_id)
    out = Engine(graph).start(as_state(e.state), Context(now, _view(member)))
    return (await _apply(db, [(e, out)], now))[0]


async def _record(
    db: AsyncSession,
    e: Enrollment,
    key: str,
    type_: ProgramEventType,
    node: str | None,
    payload: dict[str, Any],
    now: datetime,
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
            outcome=StepOutcome.applied,
            received_at=now,  # the step's clock (a replayed or simulated history keeps its own times)
        )
        .on_conflict_do_nothing(index_elements=["enrollment_id", "key"])
        .returning(col(ProgramEvent.id))
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def _set_outcome(db: AsyncSession, event_id: uuid.UUID, outcome: StepOutcome, detail: str) -> None:
    await db.execute(
        update(ProgramEvent).where(col(ProgramEvent.id) == event_id).values(outcome=outcome, detail=detail[:2000])
    )


async def handle_event(
    db: AsyncSession,
    enrollment_id: uuid.UUID,
    type_: ProgramEventType,
    key: str,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> StepResult:
    """An answer, a behaviour event or a member's twin turn. Duplicates (same key) do nothing."""
    now = now or utcnow()
    e = await repository.locked_enrollment(
        db, enrollment_id
    )  # lock first: a concurrent duplicate waits, then sees the key
    node = payload.get("node_id")
    node = str(node) if node is not None else None
    event_id = await _record(db, e, key, type_, node, payload, now)
    if event_id is None:
        return StepResult(StepOutcome.duplicate, f"event {key!r} was already received", e)
    if e.status != EnrollmentStatus.active:
        await _set_outcome(db, event_id, StepOutcome.inactive, f"enrollment is {e.status}")
        return StepResult(StepOutcome.inactive, f"enrollment is {e.status}", e)
    value = payload.get("value") if type_ == ProgramEventType.answer else payload.get("text")
    event = Event(type_, node, value, name=payload.get("name") if type_ == ProgramEventType.event else None)
    member = await repository.member(db, e.member_id)
    out = Engine(await version_graph(db, e.creator_id, e.version_id)).handle(
        as_state(e.state), event, Context(now, _view(member))
    )
    if out.status == StepOutcome.invalid:
        raise InvalidInput(out.detail)  # rolls back: the key stays free for a corrected retry
    if out.status == StepOutcome.stale:
        await _set_outcome(db, event_id, StepOutcome.stale, out.detail)
        return StepResult(StepOutcome.stale, out.detail, e)
    result = (await _apply(db, [(e, out)], now))[0]
    if result.outcome != StepOutcome.applied:
        await _set_outcome(db, event_id, result.outcome, out.detail)
    return result


async def fire_timers(
    db: AsyncSession, timer_ids: list[uuid.UUID], now: datetime | None = None
) -> dict[uuid.UUID, StepResult]:
    """Advance the enrollments these due timers belong to, each timer at most once, in the caller's
    tenant-scoped transaction; one result per timer id. A batch costs the statements of one timer.

    The enrollments are locked in id order, so two batches wait for each other rather than deadlock (every
    other path locks a single enrollment, then its timers). A second timer of an enrollment already in the
    batch runs after the first one's step, as if fired on its own right after it.
    """
    now = now or utcnow()
    rows = (
        await db.execute(
            select(
                Enrollment,
                col(ProgramTimer.id),
                col(ProgramTimer.node_id),
                col(ProgramTimer.kind),
                col(Member.display_name),
                col(Member.external_id),
                col(Member.timezone),
            )
            .join(ProgramTimer, col(ProgramTimer.enrollment_id) == col(Enrollment.id))
            .join(Member, col(Member.id) == col(Enrollment.member_id))
            .where(col(ProgramTimer.id) == repository.ids(timer_ids))
            .order_by(col(Enrollment.id), col(ProgramTimer.due_at))
            .with_for_update(of=Enrollment)
            .execution_options(populate_existing=True)
        )
    ).all()
    results = {t: StepResult(StepOutcome.stale, "timer not found") for t in timer_ids}
    first: dict[uuid.UUID, tuple[Enrollment, uuid.UUID, str, TimerKind, dict[str, Any]]] = {}
    later: list[uuid.UUID] = []
    for e, timer_id, node, kind, name, external_id, tz in rows:
        if e.id in first:
            later.append(timer_id)
        else:
            first[e.id] = (e, timer_id, node, TimerKind(kind), member_view(name, external_id, tz))
    fired = set(
        (
            await db.execute(
                update(ProgramTimer)
                .where(col(ProgramTimer.id) == repository.ids([t for _, t, *_ in first.values()]))
                .where(col(ProgramTimer.fired_at).is_(None))
                .values(fired_at=now, outcome=TimerOutcome.fired)
                .returning(col(ProgramTimer.id))
                .execution_options(synchronize_session=False)
            )
        ).scalars()
    )
    stale: list[uuid.UUID] = []
    steps: list[tuple[uuid.UUID, Enrollment, Outcome]] = []
    for e, timer_id, node, kind, member in first.values():
        if timer_id not in fired:
            results[timer_id] = StepResult(StepOutcome.duplicate, "timer already fired or cancelled", e)
        elif e.status != EnrollmentStatus.active:
            stale.append(timer_id)
            results[timer_id] = StepResult(StepOutcome.inactive, f"enrollment is {e.status}", e)
        else:
            out = Engine(await version_graph(db, e.creator_id, e.version_id)).handle(
                as_state(e.state), Event(ProgramEventType.timer, node, kind=kind), Context(now, member)
            )
            if out.status in (StepOutcome.stale, StepOutcome.invalid):
                stale.append(timer_id)
                results[timer_id] = StepResult(StepOutcome.stale, out.detail, e)
            else:
                steps.append((timer_id, e, out))
    if stale:
        await db.execute(
            update(ProgramTimer)
            .where(col(ProgramTimer.id) == repository.ids(stale))
            .values(outcome=TimerOutcome.stale)
            .execution_options(synchronize_session=False)
        )
    if steps:
        applied = await _apply(db, [(e, out) for _, e, out in steps], now)
        results.update(zip([t for t, _, _ in steps], applied, strict=True))
    if later:
        results.update(await fire_timers(db, later, now))
    return results


async def fire_timer(db: AsyncSession, timer_id: uuid.UUID, now: datetime | None = None) -> StepResult:
    """Advance the enrollment a due timer belongs to, once (the caller's session is tenant-scoped)."""
    return (await fire_timers(db, [timer_id], now))[timer_id]


async def pause(db: AsyncSession, enrollment_id: uuid.UUID, now: datetime | None = None) -> Enrollment:
    """Stop the clock: the pending timer is cancelled and what was left of it remembered."""
    now = now or utcnow()
    e = await repository.locked_enrollment(db, enrollment_id)
    if e.status != EnrollmentStatus.active:
        raise Conflict(f"Only an active enrollment can be paused (this one is {e.status})")
    state: EngineState = {**as_state(e.state)}
    timer = state.get("timer")
    if timer:
        remaining = (datetime.fromisoformat(timer["due_at"]) - now).total_seconds()
        state["paused_timer"] = PausedTimer(**timer, remaining_seconds=max(0.0, remaining))
    await db.execute(
        update(ProgramTimer)
        .where(col(ProgramTimer.enrollment_id) == e.id, col(ProgramTimer.fired_at).is_(None))
        .values(fired_at=now, outcome=TimerOutcome.cancelled)
    )
    e.state, e.status, e.updated_at = dict(state), EnrollmentStatus.paused, now
    await db.flush()
    return e


async def resume(db: AsyncSession, enrollment_id: uuid.UUID, now: datetime | None = None) -> StepResult:
    """Restart the clock: a wait until a time of day aims at its next occurrence; others get their rest."""
    now = now or utcnow()
    e = await repository.locked_enrollment(db, enrollment_id)
    if e.status != EnrollmentStatus.paused:
        raise Conflict(f"Only a paused enrollment can be resumed (this one is {e.status})")
    state: EngineState = {**as_state(e.state)}
    state.pop("error", None)
    paused = state.pop("paused_timer", None)
    due: list[datetime] = []
    if paused:
        graph = await version_graph(db, e.creator_id, e.version_id)
        node = graph.nodes.get(paused["node"])
        member = await repository.member(db, e.member_id)
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
    e.state, e.status, e.updated_at = dict(state), EnrollmentStatus.active, now
    await db.flush()
    return StepResult(StepOutcome.applied, "resumed", e, timers=due)


async def unenroll(db: AsyncSession, enrollment_id: uuid.UUID, now: datetime | None = None) -> Enrollment:
    now = now or utcnow()
    e = await repository.locked_enrollment(db, enrollment_id)
    if e.status not in RUNNING:
        raise Conflict(f"This enrollment has already ended ({e.status})")
    await db.execute(
        update(ProgramTimer)
        .where(col(ProgramTimer.enrollment_id) == e.id, col(ProgramTimer.fired_at).is_(None))
        .values(fired_at=now, outcome=TimerOutcome.cancelled)
    )
    e.status, e.updated_at, e.completed_at = EnrollmentStatus.unenrolled, now, now
    await db.flush()
    return e
