"""A member writes on a messaging channel: the twin's turn (the same one the widget runs, so one memory and
one history), and its reply handed to the outbox for that channel. Also the platform's own short notes on a
channel (a welcome after /start, the /stop confirmation), which go out the same way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.channels import messaging
from backend.delivery import outbox
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.lib.tenancy import TenantContext
from backend.twin import repository
from backend.twin.chat import run_turn
from common.enums import Channel, ConversationKind, MessageRole, MessageSender, PrincipalKind, ReplyMode
from common.models import ChannelEvent, Conversation, Message

PARTING = messaging.PARTING


def utcnow() -> datetime:
    return datetime.now(UTC)


def member_principal(creator_id: uuid.UUID, member_id: uuid.UUID) -> Principal:
    return Principal(PrincipalKind.member, member_id, creator_id, None, uuid.uuid4(), 0)


async def pending_event(db: AsyncSession, event_id: uuid.UUID) -> ChannelEvent | None:
    """A stored inbound event not handled yet (None: handled already, by an earlier try of the job)."""
    row = await db.get(ChannelEvent, event_id)
    return row if row is not None and row.processed_at is None else None


async def handled(platform: Platform, creator_id: uuid.UUID, event_id: uuid.UUID) -> None:
    async with platform.db.session(TenantContext(creator_id)) as db:
        await db.execute(update(ChannelEvent).where(col(ChannelEvent.id) == event_id).values(processed_at=utcnow()))
        await db.commit()


async def member_turn(
    platform: Platform, creator_id: uuid.UUID, member_id: uuid.UUID, text: str, event_key: str, channel: Channel
) -> uuid.UUID | None:
    """The twin answers the member's message (in their current conversation) and the answer goes to the
    outbox for `channel`. `event_key` (the provider's message id) makes a repeated call reply once: the
    turn replays its stored reply and the outbox key is the reply's. Returns the outbox row (None when a
    creator holds the conversation and the twin stays silent)."""
    async with platform.db.session(TenantContext(creator_id)) as db:
        conv = await repository.latest_member_conversation(db, member_id)
        conversation_id = conv.id if conv is not None else None
        await db.commit()
    turn = await run_turn(
        platform, member_principal(creator_id, member_id), text, conversation_id, event_key, channel=channel
    )
    if turn.extra.get("held"):
        return None
    async with platform.db.session(TenantContext(creator_id)) as db:
        staged = await outbox.stage(
            db, creator_id, [outbox.Outgoing(member_id, turn.message_id, f"reply:{turn.message_id}", channel)]
        )
        await db.commit()
    return staged[0] if staged else None


async def say(
    db: AsyncSession, creator_id: uuid.UUID, member_id: uuid.UUID, channel: Channel, text: str, key: str
) -> None:
    """A short platform note to the member on `channel`, kept in their conversation; sent after the commit."""
    conv = await repository.latest_member_conversation(db, member_id)
    if conv is None:
        conv = Conversation(creator_id=creator_id, member_id=member_id, kind=ConversationKind.member, title=text[:80])
        db.add(conv)
        await db.flush()
    message = Message(
        creator_id=creator_id,
        conversation_id=conv.id,
        role=MessageRole.assistant,
        sender=MessageSender.twin,
        channel=channel,
        content=text,
        mode=ReplyMode.program,
        grounded=True,
    )
    db.add(message)
    await db.flush()
    await outbox.stage(db, creator_id, [outbox.Outgoing(member_id, message.id, key, channel)])
