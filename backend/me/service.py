"""A member's own side: their messages across channels, thumbs on replies, asking for a person.

Every query names the caller's member id on top of the tenant's RLS: a member token never reads another
member's conversation, even inside its workspace.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import and_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.delivery.frames import member_message, message_frame
from backend.delivery.live import publish_quietly
from backend.lib.cache import hit, tenant_key
from backend.lib.db import after_commit
from backend.lib.errors import InvalidInput, NotFound
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.me.schemas import FeedbackIn, FeedbackOut, HandoffOut, MessagesOut
from backend.twin.repository import latest_member_conversation
from common.enums import Channel, ConversationKind, MessageRole, MessageSender, Rating, ReplyMode
from common.models import Conversation, Creator, Message, MessageFeedback

FEEDBACK_PER_MINUTE = 60
HANDOFF_PER_MINUTE = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


def _mine(principal: Principal):  # type: ignore[no-untyped-def]
    """The caller's member conversations, as a subquery."""
    return select(col(Conversation.id)).where(
        col(Conversation.member_id) == principal.subject_id, col(Conversation.kind) == ConversationKind.member
    )


async def messages(
    db: AsyncSession,
    principal: Principal,
    after: uuid.UUID | None = None,
    before: uuid.UUID | None = None,
    limit: int = 100,
) -> MessagesOut:
    """The member's messages across their conversations and channels, oldest first.

    `after`: the messages that follow that one (what the chat missed), and `has_more` when there are more
    after these. `before`: the page before that one (scrolling back), `has_more` when there are older ones.
    Neither: the latest `limit` messages, `has_more` when there are older ones."""
    if after is not None and before is not None:
        raise InvalidInput("Give either after or before, not both")
    feedback = col(MessageFeedback.rating)
    query = (
        select(Message, feedback)
        .outerjoin(
            MessageFeedback,
            and_(
                col(MessageFeedback.message_id) == col(Message.id),
                col(MessageFeedback.member_id) == principal.subject_id,
            ),
        )
        .where(col(Message.conversation_id).in_(_mine(principal)))
    )
    order = tuple_(col(Message.created_at), col(Message.id))
    anchor_id = after or before
    if anchor_id is not None:
        anchor = (
            await db.execute(
                select(col(Message.created_at), col(Message.id)).where(
                    col(Message.id) == anchor_id, col(Message.conversation_id).in_(_mine(principal))
                )
            )
        ).first()
        if anchor is None:
            raise NotFound("Message not found")
        query = query.where(order > tuple(anchor) if after is not None else order < tuple(anchor))
    newest_first = after is None
    query = query.order_by(
        col(Message.created_at).desc() if newest_first else col(Message.created_at),
        col(Message.id).desc() if newest_first else col(Message.id),
    ).limit(limit + 1)
    rows = (await db.execute(query)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    if newest_first:
        rows = list(reversed(rows))
    return MessagesOut(messages=[member_message(m, rating) for m, rating in rows], has_more=has_more)


async def feedback(platform: Platform, db: AsyncSession, principal: Principal, data: FeedbackIn) -> FeedbackOut:
    """Thumbs up or down on one of the twin's replies to this member (a second vote replaces the first)."""
    await hit(
        platform.redis,
        tenant_key("ratelimit", principal.creator_id, f"feedback:{principal.subject_id}"),
        FEEDBACK_PER_MINUTE,
        60,
    )
    sender = (
        await db.execute(
            select(col(Message.sender)).where(
                col(Message.id) == data.message_id, col(Message.conversation_id).in_(_mine(principal))
            )
        )
    ).scalar_one_or_none()
    if sender is None:
        raise NotFound("Message not found")
    if sender != MessageSender.twin:
        raise InvalidInput("Only the twin's replies can be rated")
    now = utcnow()
    comment = (data.comment or "").strip()
    stmt = (
        insert(MessageFeedback)
        .values(
            id=uuid.uuid4(),
            creator_id=principal.creator_id,
            message_id=data.message_id,
            member_id=principal.subject_id,
            rating=data.rating.value,
            comment=comment,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=["message_id", "member_id"],
            set_={"rating": data.rating.value, "comment": comment, "updated_at": now},
        )
    )
    await db.execute(stmt)
    return FeedbackOut(message_id=data.message_id, rating=Rating(data.rating), comment=comment, updated_at=now)


async def workspace_person(db: AsyncSession, creator_id: uuid.UUID) -> str:
    """Who a member is handed to: the workspace's name (the creator's brand)."""
    name = (await db.execute(select(col(Creator.name)).where(col(Creator.id) == creator_id))).scalar_one_or_none()
    return name or "the coach"


def handoff_text(name: str) -> str:
    return f"I have asked {name} to join this conversation. They will answer you here, in person."


async def handoff(
    platform: Platform, db: AsyncSession, principal: Principal, reason: str | None, twin_name: str, coach: str
) -> HandoffOut:
    """The member asks for a person: the conversation is marked for the creator (the hub lists it) and an
    acknowledgement is written into it. Asking again while a request is open changes nothing."""
    await hit(
        platform.redis,
        tenant_key("ratelimit", principal.creator_id, f"handoff:{principal.subject_id}"),
        HANDOFF_PER_MINUTE,
        60,
    )
    conv = await latest_member_conversation(db, principal.subject_id, lock=True)
    if conv is None:
        conv = Conversation(
            creator_id=principal.creator_id,
            member_id=principal.subject_id,
            kind=ConversationKind.member,
            title="Talk to a person",
        )
        db.add(conv)
        await db.flush()
    now = utcnow()
    pending = conv.handoff_requested_at is not None
    ack = Message(
        creator_id=principal.creator_id,
        conversation_id=conv.id,
        role=MessageRole.assistant,
        sender=MessageSender.twin,
        channel=Channel.web,
        content=handoff_text(coach),
        mode=ReplyMode.handoff,
        grounded=True,
        meta={"author_name": twin_name},
    )
    if not pending:
        db.add(ack)
    values: dict[str, object] = {"updated_at": now, "handoff_requested_at": conv.handoff_requested_at or now}
    if reason is not None and reason.strip():
        values["handoff_reason"] = reason.strip()[:1000]
    await db.execute(update(Conversation).where(col(Conversation.id) == conv.id).values(**values))
    await db.flush()
    view = member_message(ack)
    if not pending:

        async def push() -> None:  # the member's other tabs show it too
            await publish_quietly(platform.redis, principal.creator_id, principal.subject_id, message_frame(view))

        after_commit(db, push)
    return HandoffOut(conversation_id=conv.id, requested_at=values["handoff_requested_at"], message=view)  # type: ignore[arg-type]
