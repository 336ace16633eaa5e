"""What a pass does for the firings it sends, set-based: the messages of every member it reaches go into their
latest conversation (one is opened for a member who has none) and into the one outbox in a few statements
whatever their number; a twin nudge is written once per trigger and pass. Enrolling and telling the creator
are rarer and go one by one."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.delivery import outbox
from backend.engagement.repository import ids
from backend.lib.db import after_commit
from backend.lib.errors import DomainError
from backend.lib.platform import Platform
from backend.programs import runtime
from backend.programs.jobs import kick
from backend.twin import nudge
from common.enums import ActionType, ConversationKind, MessageRole, MessageSender
from common.models import Conversation, Message, Trigger


@dataclass(frozen=True, slots=True)
class Due:
    """A firing the pass decides: its id, trigger, member and occurrence, and when it was first found."""

    id: uuid.UUID
    trigger_id: uuid.UUID
    member_id: uuid.UUID
    occurrence: str
    created_at: datetime


def render(template: str, name: str) -> str:
    who = name or "there"
    return template.replace("{{name}}", who).replace("{{ name }}", who)


class Actions:
    def __init__(self, platform: Platform, db: AsyncSession, creator_id: uuid.UUID, now: datetime) -> None:
        self.platform, self.db, self.creator_id, self.now = platform, db, creator_id, now
        self.nudges: dict[uuid.UUID, nudge.Nudge] = {}

    async def conversations(self, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """Each member's latest conversation (opened for those with none), touched now."""
        rows = await self.db.execute(
            select(col(Conversation.member_id), col(Conversation.id))
            .where(col(Conversation.member_id) == ids(member_ids), col(Conversation.kind) == ConversationKind.member)
            .order_by(col(Conversation.member_id), col(Conversation.updated_at).desc())
            .distinct(col(Conversation.member_id))
        )
        latest: dict[uuid.UUID, uuid.UUID] = {m: c for m, c in rows if m is not None}
        missing: list[dict[str, Any]] = [
            {
                "id": uuid.uuid4(),
                "creator_id": self.creator_id,
                "member_id": m,
                "kind": ConversationKind.member.value,
                "title": "",
                "flagged": False,
                "created_at": datetime.now(UTC),
                "updated_at": self.now,
            }
            for m in member_ids
            if m not in latest
        ]
        if missing:
            await self.db.execute(insert(Conversation), missing)
            latest.update({row["member_id"]: row["id"] for row in missing})
        await self.db.execute(
            update(Conversation)
            .where(col(Conversation.id) == ids(list(latest.values())))
            .values(updated_at=self.now)
            .execution_options(synchronize_session=False)
        )
        return latest

    async def _text(self, t: Trigger, name: str) -> tuple[str, str | None, bool | None, list[dict[str, Any]]]:
        if t.action["type"] != ActionType.twin_nudge:
            return render(t.action["text"], name), None, None, []
        if t.id not in self.nudges:
            self.nudges[t.id] = await nudge.write(self.platform, self.db, self.creator_id, t.action["topic"])
        n = self.nudges[t.id]
        return n.text, n.mode, n.grounded, n.citations

    async def say(self, sends: list[tuple[Trigger, Due, str, str]]) -> dict[uuid.UUID, uuid.UUID]:
        """Write and queue the messages of (trigger, firing, member's name, channel): firing -> message id."""
        if not sends:
            return {}
        conversations = await self.conversations(list({d.member_id for _, d, _, _ in sends}))
        rows: list[dict[str, Any]] = []
        outgoing: list[outbox.Outgoing] = []
        for t, d, name, channel in sends:
            content, mode, grounded, citations = await self._text(t, name)
            message_id = uuid.uuid4()
            reach = outbox.channel_for(channel)
            rows.append(
                {
                    "id": message_id,
                    "creator_id": self.creator_id,
                    "conversation_id": conversations[d.member_id],
                    "role": MessageRole.assistant.value,
                    "sender": MessageSender.proactive.value,
                    "channel": reach.value,
                    "content": content,
                    "client_id": f"eng:{d.id.hex}",
                    "mode": mode,
                    "grounded": grounded,
                    "citations": citations,
                    "meta": {"trigger_id": str(t.id)},
                    "created_at": self.now,
                }
            )
            outgoing.append(outbox.Outgoing(d.member_id, message_id, f"engage:{d.id}", reach))
        await self.db.execute(insert(Message), rows)
        await outbox.stage(self.db, self.creator_id, outgoing)
        return {d.id: row["id"] for (_, d, _, _), row in zip(sends, rows, strict=True)}

    async def enroll(self, t: Trigger, d: Due) -> str:
        try:
            async with self.db.begin_nested():
                program_id = uuid.UUID(t.action["program_id"])
                result = await runtime.enroll(self.db, self.creator_id, program_id, d.member_id, self.now)
        except DomainError as exc:
            return f"not enrolled: {exc.detail}"
        for due in result.timers:
            after_commit(self.db, functools.partial(kick, self.platform, due))
        return "enrolled in the program"

    async def notify(self, t: Trigger, d: Due) -> str:
        """The creator sees the member with the handoff requests in Conversations."""
        conversation = (await self.conversations([d.member_id]))[d.member_id]
        await self.db.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation)
            .values(handoff_requested_at=self.now, handoff_reason=f"Trigger {t.name!r}: {d.occurrence}"[:500])
            .execution_options(synchronize_session=False)
        )
        return "the creator is told (listed with the handoff requests in Conversations)"
