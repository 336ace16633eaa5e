"""The outbox's Telegram sender: one outbox row -> sendMessage (split at 4,096 characters; a check-in's
answers as inline buttons on the last part), within Telegram's limits (about 30 messages/s per bot and 1/s
per chat, counted in Redis across workers: a burst waits instead of failing).

429 waits its `retry_after`; 403 (the member blocked the bot) opts the chat out and fails the row; each part
the Bot API took is kept as a receipt the moment it answers, so a retry never sends a part twice.
"""

from __future__ import annotations

from typing import Any

from backend.channels import messaging
from backend.channels.telegram.api import (
    TelegramBlocked,
    TelegramError,
    TelegramRetryAfter,
    TelegramUnauthorized,
    TelegramUnreachable,
    inline_keyboard,
    split_message,
)
from backend.channels.telegram.inbound import ANSWER_PREFIX
from backend.channels.telegram.service import bot_for
from backend.delivery.senders import SendResult
from backend.lib.plaintext import plain_text
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.enums import Channel, DeliveryStatus, IdentityKind
from common.models import Message, OutboxMessage

PER_BOT_PER_SECOND = 30
PER_CHAT_PER_SECOND = 1


def answer_buttons(message: Message) -> dict[str, Any] | None:
    """A check-in's answers as inline buttons (callback data "a:<answer>", within Telegram's 64 bytes)."""
    check_in = (message.meta or {}).get("check_in")
    options = check_in.get("options") if isinstance(check_in, dict) else None
    if not options:
        return None
    pairs = [(str(o), ANSWER_PREFIX + str(o)) for o in options if len((ANSWER_PREFIX + str(o)).encode()) <= 64]
    return inline_keyboard(pairs) if pairs else None


class TelegramSender:
    async def send(self, platform: Platform, row: OutboxMessage, message: Message, live: int) -> SendResult:
        found = await messaging.recipient(
            platform, row, Channel.telegram, (IdentityKind.telegram_chat,), "Telegram chat"
        )
        if isinstance(found, SendResult):
            return found
        conn, chat = found.conn, found.address
        receipts = messaging.Receipts(platform, row.creator_id, row.id)
        text = plain_text(message.content)  # Telegram shows the text as typed (no parse mode)
        parts = split_message(text) or [text or "…"]
        done = [await receipts.taken(str(i)) for i in range(len(parts))]
        if all(done):  # an earlier try got every part through before its worker died
            return SendResult(DeliveryStatus.sent, provider_message_id=done[-1])
        limits = [(f"tg:{conn.settings.get('bot_id')}", PER_BOT_PER_SECOND), (f"tg:chat:{chat}", PER_CHAT_PER_SECOND)]
        if wait := await messaging.within_rate(platform, row.creator_id, limits):
            return SendResult(
                DeliveryStatus.queued, error="waiting for Telegram's rate limit", retry_after=wait, attempt=False
            )
        bot = bot_for(platform, conn)
        last = ""
        try:
            for i, part in enumerate(parts):
                if done[i] is not None:
                    last = str(done[i])
                    continue
                markup = answer_buttons(message) if i == len(parts) - 1 else None
                last = str(await bot.send_message(int(chat), part, reply_markup=markup))
                await receipts.keep(str(i), last)
        except TelegramRetryAfter as exc:
            return SendResult(DeliveryStatus.queued, error=str(exc), retry_after=exc.retry_after)
        except TelegramBlocked as exc:
            await self._opt_out(platform, row, chat)
            return SendResult(DeliveryStatus.failed, error=f"blocked by the user ({exc.description})")
        except TelegramUnauthorized as exc:
            await messaging.note_error(platform, row.creator_id, Channel.telegram, "the bot token was revoked")
            return SendResult(DeliveryStatus.failed, error=str(exc))
        except TelegramUnreachable as exc:
            return SendResult(DeliveryStatus.queued, error=str(exc))
        except TelegramError as exc:
            retry = exc.code >= 500
            return SendResult(DeliveryStatus.queued if retry else DeliveryStatus.failed, error=str(exc))
        return SendResult(DeliveryStatus.sent, provider_message_id=last)

    @staticmethod
    async def _opt_out(platform: Platform, row: OutboxMessage, chat: str) -> None:
        async with platform.db.session(TenantContext(row.creator_id)) as db:
            await messaging.set_opt_out(db, IdentityKind.telegram_chat, chat, opted_out=True)
            await db.commit()
