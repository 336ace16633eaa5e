"""Run a program for a test member with a fast-forward clock and scripted answers (no database).

The clock jumps straight to each timer; scripted answers are given the moment a check-in asks. The
same interpreter as the runtime walks the graph, so what the creator sees here is what members get.

answers: {checkin or twin node id: value | [value per visit]}; a node without a scripted answer lets its
window close (the timeout path), or, with no window, stops the run ("waiting for an answer").
events: [{"name", "at"}] behaviour events delivered when the clock passes `at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.programs.engine import Context, Engine, Event, Outcome, zone
from backend.programs.graph import Graph
from backend.programs.state import EngineState, initial_state
from common.enums import ProgramEventType, SimulationStatus, StepOutcome, WaitingFor

MAX_STEPS = 2000
MAX_DAYS = 400


@dataclass
class Simulation:
    status: SimulationStatus = SimulationStatus.running
    detail: str = ""
    path: list[str] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    goals: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime | None = None
    ended_at: datetime | None = None


def simulate(
    graph: Graph,
    *,
    answers: dict[str, Any] | None = None,
    start_at: datetime | None = None,
    timezone: str = "UTC",
    name: str = "Test member",
    events: list[dict[str, Any]] | None = None,
    max_steps: int = MAX_STEPS,
) -> Simulation:
    now = (start_at or datetime.now(UTC)).astimezone(UTC)
    tz = zone(timezone)
    member = {"display_name": name, "external_id": "simulator", "timezone": timezone}
    scripted = {k: list(v) if isinstance(v, list) else [v] for k, v in (answers or {}).items()}
    pending_events = sorted(
        ((datetime.fromisoformat(str(e["at"])).astimezone(UTC), str(e["name"])) for e in events or []),
        key=lambda p: p[0],
    )
    engine = Engine(graph)
    sim = Simulation(started_at=now)
    limit = now + timedelta(days=MAX_DAYS)

    def line(role: str, node: str | None, text: str, at: datetime) -> None:
        sim.transcript.append(
            {"at": at.isoformat(), "local": at.astimezone(tz).isoformat(), "role": role, "node_id": node, "text": text}
        )

    def take(out: Outcome, at: datetime) -> EngineState:
        sim.path.extend(out.visited)
        for node, text in out.messages:
            line("assistant", node, text, at)
        for node, goal, n in out.goals:
            sim.goals.append({"node_id": node, "name": goal, "occurrence": n, "at": at.isoformat()})
            line("system", node, f"Goal reached: {goal}", at)
        if out.status == StepOutcome.error:
            sim.status, sim.detail = SimulationStatus.error, out.detail
        elif out.completed:
            sim.status = SimulationStatus.completed
        return out.state

    state = take(engine.start(initial_state(now), Context(now, member)), now)
    for _ in range(max_steps):
        if sim.status != SimulationStatus.running:
            break
        node_id, waiting = state.get("node"), state.get("waiting")
        timer = state.get("timer")
        due = datetime.fromisoformat(timer["due_at"]) if timer else None
        # behaviour events that happen before the next timer
        if pending_events and (due is None or pending_events[0][0] <= due) and waiting != WaitingFor.answer:
            at, event_name = pending_events.pop(0)
            now = max(now, at)
            line("event", None, f"Behaviour event: {event_name}", now)
            state = take(
                engine.handle(state, Event(ProgramEventType.event, name=event_name), Context(now, member)), now
            )
            continue
        if waiting in (WaitingFor.answer, WaitingFor.twin) and scripted.get(node_id or ""):
            value = scripted[node_id or ""].pop(0)
            kind = ProgramEventType.answer if waiting == WaitingFor.answer else ProgramEventType.message
            line("member", node_id, str(value), now)
            out = engine.handle(state, Event(kind, node_id, value), Context(now, member))
            if out.status == StepOutcome.invalid:
                sim.status, sim.detail = SimulationStatus.error, out.detail
                break
            state = take(out, now)
            if waiting == WaitingFor.twin and state.get("waiting") == WaitingFor.twin:
                line("assistant", node_id, "(the twin replies in the creator's voice)", now)
            continue
        if timer and due is not None:
            if due > limit:
                sim.status, sim.detail = SimulationStatus.limit, f"stopped after {MAX_DAYS} simulated days"
                break
            now = max(now, due)
            state = take(
                engine.handle(
                    state, Event(ProgramEventType.timer, timer["node"], kind=timer["kind"]), Context(now, member)
                ),
                now,
            )
            continue
        sim.status = SimulationStatus.waiting
        sim.detail = f"waiting for an answer at {node_id} (script one in answers)"
        break
    else:
        sim.status, sim.detail = SimulationStatus.limit, f"stopped after {max_steps} steps"
    sim.ended_at = now
    return sim
