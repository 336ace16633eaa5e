"""Members answer their program in chat.

A member's message sent into the conversation where one of their enrollments waits on them is handed to
the runtime: the answer to the waiting check-in, or a turn of the waiting twin exchange. The event key is
the chat message's id, so a retried message never advances the program twice. A message the check-in
cannot take (a question while a 1-5 scale is pending) is not an answer: the twin replies to it as usual.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.errors import InvalidInput
from backend.programs import runtime
from common.enums import EnrollmentStatus, ProgramEventType, StepOutcome, WaitingFor
from common.models import Enrollment, Program, ProgramVersion

RECEIPT = "Thank you, noted."
_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:/\s*\d+)?\s*[.!]*\s*$")  # "4", "4/5", "3.5!"
_WORD = re.compile(r"^\s*([A-Za-z]+)\s*[.!]*\s*$")  # "Yes!", "no."


@dataclass(frozen=True)
class Waiting:
    enrollment_id: uuid.UUID
    kind: WaitingFor  # answer (a check-in) | twin (an open exchange)
    node_id: str
    program: str = ""  # the program's name
    topic: str = ""  # a twin exchange's topic, which the twin's reply keeps to

    @property
    def focus(self) -> tuple[str, str] | None:
        """(program, topic) when this is a twin exchange with a topic: what the model's reply keeps to."""
        return (self.program, self.topic) if self.kind == WaitingFor.twin and self.topic else None


async def waiting_on(db: AsyncSession, member_id: uuid.UUID, conversation_id: uuid.UUID) -> Waiting | None:
    """The member's active enrollment that talks in this conversation and waits on them, if any."""
    state = col(Enrollment.state)
    # Only the waiting node's topic leaves the database, not the whole graph.
    topic = func.jsonb_path_query_first(
        col(ProgramVersion.graph),
        cast(literal("$.nodes[*] ? (@.id == $node).data.topic"), JSONPATH),
        func.jsonb_build_object("node", state["node"].astext),
        type_=JSONB,
    )
    row = (
        await db.execute(
            select(col(Enrollment.id), state["waiting"].astext, state["node"].astext, col(Program.name), topic)
            .join(ProgramVersion, col(ProgramVersion.id) == col(Enrollment.version_id))
            .join(Program, col(Program.id) == col(Enrollment.program_id))
            .where(
                col(Enrollment.member_id) == member_id,
                col(Enrollment.status) == EnrollmentStatus.active,
                state["conversation_id"].astext == str(conversation_id),
                state["waiting"].astext.in_((WaitingFor.answer, WaitingFor.twin)),
            )
            .order_by(col(Enrollment.updated_at).desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    focus = row[4] if isinstance(row[4], str) else ""
    return Waiting(enrollment_id=row[0], kind=WaitingFor(row[1]), node_id=str(row[2]), program=row[3], topic=focus)


def answer_value(text: str) -> str:
    """The answer inside a chat message: "4/5" -> "4", "Yes!" -> "yes"; anything else as typed."""
    if m := _NUMBER.match(text):
        return m.group(1).replace(",", ".")
    if m := _WORD.match(text):
        return m.group(1).lower()
    return text


async def deliver(db: AsyncSession, waiting: Waiting, text: str, key: str) -> runtime.StepResult | None:
    """Hand the message to the runtime (in a savepoint); the step, or None when the program did not take it."""
    if waiting.kind == WaitingFor.answer:
        type_, payload = ProgramEventType.answer, {"value": answer_value(text), "node_id": waiting.node_id}
    else:
        type_, payload = ProgramEventType.message, {"text": text, "node_id": waiting.node_id}
    try:
        async with db.begin_nested():
            step = await runtime.handle_event(db, waiting.enrollment_id, type_, key, payload)
    except InvalidInput:
        return None
    return step if step.outcome == StepOutcome.applied else None


def step_out(step: runtime.StepResult) -> dict[str, Any]:
    """What the chat client learns about the program step its message caused."""
    e = step.enrollment
    return {
        "enrollment_id": str(e.id) if e else None,
        "current_node": e.state.get("node") if e else None,
        "status": e.status if e else None,
        "messages": list(step.messages),
    }
