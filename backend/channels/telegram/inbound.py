"""Handling one stored Telegram update (a job): who wrote, and what it means.

- a text: the member of this chat (made on first sight) gets the twin's turn, replied to in this chat;
- `/start {token}`: the chat joins the member the one-time link names (an anonymous member the chat had
  is merged in); `/start` alone makes or finds the chat's member; either way a welcome follows;
- `/stop`: the chat is opted out (one confirmation, then nothing more); blocking the bot opts out too;
- an answer button: the pressed answer is the member's message (a check-in's answer), acknowledged.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels import inbound, messaging
from backend.channels.telegram import service
from backend.channels.telegram.api import TelegramError
from backend.channels.telegram.updates import Inbound, Kind, decode_update, interpret
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.members import identities
from common.enums import Channel, IdentityKind
from common.models import Member

log = structlog.get_logger()
ANSWER_PREFIX = "a:"  # callback data of an answer button: "a:" + the answer
WELCOME = "Hi! You can talk to me here any time. Send /stop and I will not write to you here anymore."
LINKED = "Your Telegram chat is now linked: I remember our conversations from before."
GOODBYE = "Done: I will not write to you here anymore. Send /start to come back."


async def _member_of_chat(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, event: Inbound) -> Member:
    member = await identities.for_channel(platform, db, creator_id, IdentityKind.telegram_chat, str(event.chat_id))
    name = event.user.display_name if event.user else None
    await identities.seen(db, member, Channel.telegram, display_name=None if member.display_name else name)
    return member


async def _start(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, event: Inbound) -> None:
    chat = str(event.chat_id)
    linked_to = await service.redeem(platform, creator_id, event.text) if event.text else None
    target = await db.get(Member, linked_to) if linked_to is not None else None
    if target is not None:
        await identities.attach(platform, db, creator_id, IdentityKind.telegram_chat, chat, target)
        await identities.seen(db, target, Channel.telegram)
        member, text = target, LINKED
    else:
        member, text = await _member_of_chat(platform, db, creator_id, event), WELCOME
    await messaging.set_opt_out(db, IdentityKind.telegram_chat, chat, opted_out=False)
    await inbound.say(db, creator_id, member.id, Channel.telegram, text, f"tg:{event.update_id}")


async def _stop(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, event: Inbound) -> None:
    member = await _member_of_chat(platform, db, creator_id, event)
    await messaging.set_opt_out(db, IdentityKind.telegram_chat, str(event.chat_id), opted_out=True)
    await inbound.say(db, creator_id, member.id, Channel.telegram, GOODBYE, f"{inbound.PARTING}tg:{event.update_id}")


async def _acknowledge_button(platform: Platform, creator_id: uuid.UUID, event: Inbound) -> None:
    conn = await messaging.connection(platform, creator_id, Channel.telegram)
    if conn is None or not event.callback_query_id:
        return
    try:
        await service.bot_for(platform, conn).answer_callback_query(event.callback_query_id)
    except TelegramError as exc:  # the spinner on the button stops by itself; the answer still counts
        log.warning("telegram_callback_answer_failed", error=exc.description)


async def handle(platform: Platform, creator_id: uuid.UUID, event_id: uuid.UUID) -> str:
    """Handle one stored update once; what it was (for the job's result)."""
    async with platform.db.session(TenantContext(creator_id)) as db:
        row = await inbound.pending_event(db, event_id)
        if row is None:
            await db.commit()
            return "done"
        event = interpret(decode_update(str(row.payload.get("raw", "")).encode()))
        kind = event.kind
        member_id: uuid.UUID | None = None
        if kind is Kind.START:
            await _start(platform, db, creator_id, event)
        elif kind is Kind.STOP:
            await _stop(platform, db, creator_id, event)
        elif kind in (Kind.BLOCKED, Kind.UNBLOCKED):
            await messaging.set_opt_out(db, IdentityKind.telegram_chat, str(event.chat_id), kind is Kind.BLOCKED)
        elif kind in (Kind.TEXT, Kind.BUTTON) and event.text.strip():
            member = await _member_of_chat(platform, db, creator_id, event)
            await messaging.set_opt_out(db, IdentityKind.telegram_chat, str(event.chat_id), opted_out=False)
            member_id = member.id
        if member_id is None:
            row.processed_at = datetime.now(UTC)
        await db.commit()
    if member_id is None:
        return kind.value
    text = event.text
    if kind is Kind.BUTTON:
        await _acknowledge_button(platform, creator_id, event)
        text = text.removeprefix(ANSWER_PREFIX)
    # The turn is idempotent by the update (a retried job replays the stored reply, staged under its key).
    await inbound.member_turn(platform, creator_id, member_id, text, f"tg:{event.update_id}", Channel.telegram)
    await inbound.handled(platform, creator_id, event_id)
    return kind.value
