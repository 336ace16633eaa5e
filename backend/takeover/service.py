"""A creator takes over a member's conversation, replies as themselves, and hands it back to the twin.

While a creator holds a conversation the twin stays silent in it (backend/twin/chat.py stores the member's
messages and answers `held`). The creator's reply is written into the conversation and into the outbox,
like everything the platform says on its own, so it reaches the member live on any worker, or on their
next visit, or (next issue) on their messaging channel. Takeover and release are announced to the
member's open sockets as `takeover` frames.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog
from redis.exceptions import RedisError
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.delivery import outbox
from backend.delivery.frames import event_frame, member_message
from backend.delivery.live import publish_quietly
from backend.lib.db import after_commit
from backend.lib.errors import Conflict, InvalidInput, NotFound
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.takeover.schemas import ConversationState, CreatorMessageOut, FeedbackItem, Holder
from backend.twin import repository as conversations
from common.enums import ConversationKind, MessageRole, MessageSender
from common.models import Conversation, Member, Message, MessageFeedback, User

log = structlog.get_logger()


def utcnow() -> datetime:
    return datetime.now(UTC)


async def staff_name(db: AsyncSession, user_id: uuid.UUID | None) -> str | None:
    """The name a member sees for a staff user (their full name; visible to the workspace under RLS)."""
    if user_id is None:
        return None
    name = (await db.execute(select(col(User.full_name)).where(col(User.id) == user_id))).scalar_one_or_none()
    return name or "The coach"


async def _locked(db: AsyncSession, conversation_id: uuid.UUID) -> Conversation:
    conv = (
        await db.execute(
            select(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if conv is None:
        raise NotFound("Conversation not found")
    if conv.kind != ConversationKind.member or conv.member_id is None:
        raise Conflict("Only a member's conversation can be taken over (this one is a playground)")
    return conv


async def state(db: AsyncSession, conv: Conversation) -> ConversationState:
    assert conv.member_id is not None
    name = await staff_name(db, conv.taken_over_by)
    return ConversationState(
        id=conv.id,
        member_id=conv.member_id,
        taken_over=conv.taken_over_by is not None,
        holder=Holder(user_id=conv.taken_over_by, name=name or "") if conv.taken_over_by else None,
        taken_over_at=conv.taken_over_at,
        handoff_requested_at=conv.handoff_requested_at,
        handoff_reason=conv.handoff_reason,
    )


def _announce(platform: Platform, db: AsyncSession, conv: Conversation, active: bool, by: str | None) -> None:
    frame = event_frame("takeover", conversation_id=str(conv.id), active=active, by=by)
    creator_id, member_id = conv.creator_id, conv.member_id
    assert member_id is not None

    async def tell() -> None:
        await publish_quietly(platform.redis, creator_id, member_id, frame)

    after_commit(db, tell)


async def _hold(platform: Platform, db: AsyncSession, principal: Principal, conv: Conversation) -> None:
    if conv.taken_over_by == principal.subject_id:
        return
    now = utcnow()
    conv.taken_over_by, conv.taken_over_at = principal.subject_id, now
    conv.handoff_requested_at = None  # a person is here now
    conv.updated_at = now
    await db.flush()
    _announce(platform, db, conv, True, await staff_name(db, principal.subject_id))


async def take_over(
    platform: Platform, db: AsyncSession, principal: Principal, conversation_id: uuid.UUID
) -> ConversationState:
    """The caller holds the conversation (from whoever held it before); the twin stops answering in it."""
    conv = await _locked(db, conversation_id)
    await _hold(platform, db, principal, conv)
    return await state(db, conv)


async def release(
    platform: Platform, db: AsyncSession, principal: Principal, conversation_id: uuid.UUID
) -> ConversationState:
    """Hand the conversation back to the twin (a no-op when nobody holds it)."""
    conv = await _locked(db, conversation_id)
    if conv.taken_over_by is not None:
        conv.taken_over_by = conv.taken_over_at = None
        conv.updated_at = utcnow()
        await db.flush()
        _announce(platform, db, conv, False, None)
    return await state(db, conv)


async def reply(
    platform: Platform, db: AsyncSession, principal: Principal, conversation_id: uuid.UUID, text: str
) -> CreatorMessageOut:
    """The creator answers as themselves (taking the conversation over if nobody holds it yet)."""
    body = text.strip()
    if not body:
        raise InvalidInput("text: the message is empty")
    conv = await _locked(db, conversation_id)
    await _hold(platform, db, principal, conv)
    assert conv.member_id is not None
    channel = (await outbox.channels_of(db, [conv.member_id]))[conv.member_id]
    message = Message(
        creator_id=conv.creator_id,
        conversation_id=conv.id,
        role=MessageRole.assistant,  # the model reads the creator's words as the coach's side of the conversation
        sender=MessageSender.creator,
        channel=channel,
        content=body,
        author_id=principal.subject_id,
        meta={"author_name": await staff_name(db, principal.subject_id)},
    )
    db.add(message)
    conv.updated_at = utcnow()
    await db.flush()
    staged = await outbox.stage(
        db, conv.creator_id, [outbox.Outgoing(conv.member_id, message.id, f"creator:{message.id}", channel)]
    )
    creator_id, conv_id = conv.creator_id, conv.id

    async def remember() -> None:  # the twin's short history (a cache: a failure is not the reply's)
        try:
            await conversations.remember(platform, creator_id, conv_id, [("assistant", body)])
        except (RedisError, OSError):
            log.warning("history_not_cached", conversation_id=str(conv_id))

    after_commit(db, remember)
    return CreatorMessageOut(
        message=member_message(message),
        conversation=await state(db, conv),
        delivery_id=staged[0],
        channel=channel.value,
    )


async def feedback(db: AsyncSession, rating: str | None, limit: int) -> list[FeedbackItem]:
    """Members' ratings of twin replies, newest first (thumbs-down first in the hub)."""
    query = (
        select(MessageFeedback, Message, col(Member.display_name), col(Member.external_id))
        .join(Message, col(Message.id) == col(MessageFeedback.message_id))
        .join(Member, and_(col(Member.id) == col(MessageFeedback.member_id)))
        .order_by(col(MessageFeedback.updated_at).desc())
        .limit(limit)
    )
    if rating is not None:
        query = query.where(col(MessageFeedback.rating) == rating)
    rows = (await db.execute(query)).all()
    return [
        FeedbackItem(
            message_id=f.message_id,
            conversation_id=m.conversation_id,
            member_id=f.member_id,
            member_name=name or external or "Visitor",
            rating=f.rating,
            comment=f.comment,
            reply=m.content,
            rated_at=f.updated_at,
        )
        for f, m, name, external in rows
    ]
