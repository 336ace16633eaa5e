"""An enrollment's place in its program: the JSON the engine reads and writes (`program_enrollments.state`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NotRequired, TypedDict, cast

from common.enums import TimerKind, WaitingFor


class TimerState(TypedDict):
    node: str
    kind: TimerKind
    due_at: str  # ISO 8601


class PausedTimer(TimerState):
    remaining_seconds: float


class LastAnswer(TypedDict):
    node: str
    value: Any
    missed: NotRequired[bool]  # the check-in's window closed without an answer


class EngineState(TypedDict):
    """An enrollment's place in its program (JSON on `program_enrollments.state`)."""

    node: str | None
    waiting: WaitingFor | None
    timer: TimerState | None
    answers: dict[str, Any]  # check-in node -> its latest answer
    last_answer: LastAnswer | None
    streaks: dict[str, int]  # check-in node -> answers in a row
    events: dict[str, int]  # behaviour event name -> times received
    visits: dict[str, int]
    goals: dict[str, int]  # goal node -> times reached
    turns: int  # the member's turns in the current twin exchange
    path: list[str]  # the last PATH_KEEP node ids
    enrolled_at: str  # ISO 8601
    # Written by the runtime, never by the engine:
    conversation_id: NotRequired[str]  # the conversation the program talks in
    error: NotRequired[str]  # why the enrollment was paused by an error
    paused_timer: NotRequired[PausedTimer]  # the timer a pause stopped, with the time it had left
    arrived_at: NotRequired[str]  # ISO 8601: when the enrollment reached its current node
    waits: NotRequired[dict[str, float]]  # node -> seconds from first reaching it to the next step


def as_state(raw: dict[str, Any]) -> EngineState:
    """The engine's view of a stored state (written only by this module and the runtime)."""
    return cast(EngineState, raw)


def initial_state(enrolled_at: datetime) -> EngineState:
    return {
        "node": None,
        "waiting": None,
        "timer": None,
        "answers": {},
        "last_answer": None,
        "streaks": {},
        "events": {},
        "visits": {},
        "goals": {},
        "turns": 0,
        "path": [],
        "enrolled_at": enrolled_at.isoformat(),
    }
