"""Channel adapters as the outbox sees them: one `send` per channel, returning what happened.

Telegram and WhatsApp (issue 15) add theirs to `SENDERS`; a sender never touches the database (the outbox
records its result) and is called outside any transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from backend.lib.platform import Platform
from common.enums import Channel, DeliveryStatus
from common.models import Message, OutboxMessage


@dataclass
class SendResult:
    """What a channel did with one message.

    `queued` asks for another try after `retry_after` seconds (else exponential backoff). `attempt=False`
    says nothing was sent (a rate limit's token bucket was empty): the try does not count against
    MAX_ATTEMPTS."""

    status: DeliveryStatus  # sent | delivered | queued (try again) | failed (never again)
    provider_message_id: str | None = None
    error: str | None = None
    retry_after: float | None = None
    attempt: bool = True


class ChannelSender(Protocol):
    """`row.attempts` counts this try; `row.attempts > 1 and not row.provider_message_id` means an earlier
    try may have reached the provider before its process died (send the row's idempotency key where the
    provider takes one). `live`: processes that held a socket of the member when the frame was published."""

    async def send(self, platform: Platform, row: OutboxMessage, message: Message, live: int) -> SendResult: ...


class WebSender:
    """The widget and the companion page: the pub/sub frame is the delivery; an absent member reads the
    message from `GET /me/messages` on their next visit."""

    async def send(self, platform: Platform, row: OutboxMessage, message: Message, live: int) -> SendResult:
        return SendResult(DeliveryStatus.delivered if live else DeliveryStatus.sent)


SENDERS: dict[Channel, ChannelSender] = {Channel.web: WebSender()}
