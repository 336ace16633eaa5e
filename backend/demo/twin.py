"""Members' questions to the twin during the simulated weeks, through the real chat turn.

A turn (`twin.chat.run_turn`: safety, retrieval, the grounding decision, the reply, its consistency score)
and a member's thumbs (`me.service.feedback`) or request for a person (`me.service.handoff`) run as they do
for a live member, then take their simulated time (the chat stamps the real clock).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from backend.demo.cohort import Person, Script
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.lib.tenancy import TenantContext
from backend.me import service as me
from backend.me.schemas import FeedbackIn
from backend.twin.chat import run_turn
from common.enums import PrincipalKind, Rating
from common.models import Conversation, Message, MessageFeedback


def member(creator_id: uuid.UUID, member_id: uuid.UUID) -> Principal:
    return Principal(PrincipalKind.member, member_id, creator_id, None, uuid.uuid4(), int(time.time()) + 3600)


async def _backdate(platform: Platform, tenant: TenantContext, ids: list[uuid.UUID], at: datetime) -> None:
    async with platform.db.session(tenant) as db:
        for i, message_id in enumerate(ids):
            await db.execute(
                update(Message).where(col(Message.id) == message_id).values(created_at=at + timedelta(seconds=2 * i))
            )
        await db.commit()


async def converse(
    platform: Platform,
    creator_id: uuid.UUID,
    script: Script,
    chats: list[tuple[uuid.UUID, Person, datetime]],
    progress: Callable[[int], None],
) -> dict[str, int]:
    """Each (member, person, when): one question, perhaps a thumb, now and then a request for a person."""
    tenant = TenantContext(creator_id)
    counts = {"replies": 0, "up": 0, "down": 0, "handoffs": 0}
    for n, (member_id, _person, at) in enumerate(sorted(chats, key=lambda c: c[2]), 1):
        principal = member(creator_id, member_id)
        turn = await run_turn(platform, principal, script.question(), client_id=f"demo-{uuid.uuid4().hex[:20]}")
        await _backdate(platform, tenant, [turn.user_message_id, turn.message_id], at)
        counts["replies"] += 1
        rating = script.rating()
        if rating is not None:
            async with platform.db.session(tenant) as db:
                await me.feedback(
                    platform, db, principal, FeedbackIn(message_id=turn.message_id, rating=Rating(rating))
                )
                await db.execute(
                    update(MessageFeedback)
                    .where(col(MessageFeedback.message_id) == turn.message_id)
                    .values(created_at=at + timedelta(minutes=1), updated_at=at + timedelta(minutes=1))
                )
                await db.commit()
            counts[rating] += 1
        if rating == Rating.down and script.rng.random() < 0.4:
            async with platform.db.session(tenant) as db:
                out = await me.handoff(
                    platform, db, principal, "I would like to ask the coach", "Stoic twin", "the coach"
                )
                await db.execute(
                    update(Conversation)
                    .where(col(Conversation.id) == out.conversation_id)
                    .values(handoff_requested_at=at + timedelta(minutes=2))
                )
                await db.commit()
            await _backdate(platform, tenant, [out.message.id], at + timedelta(minutes=2))
            counts["handoffs"] += 1
        if n % 25 == 0:
            progress(n)
    await platform.services.scorer.drain()
    return counts
