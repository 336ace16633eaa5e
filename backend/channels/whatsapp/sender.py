"""The outbox's WhatsApp sender: one outbox row -> the Cloud API, within WhatsApp's rules.

The 24-hour customer-service window is checked at send time: free text (a check-in as reply buttons) only
while the member's last inbound message is less than 24 h old; otherwise the creator's approved template
(name, language, the message as its one body parameter). A synchronous 131047 sends the template at once;
a later 131047 arrives as a status (`service.accept` re-queues the row `template_only`). 130429 and other
rate limits back off; limits of our own in Redis (80/s per number, one message per second per recipient)
queue bursts. The row's idempotency key rides along as `biz_opaque_callback_data`, and each part the API
took is kept as a receipt the moment it answers, so a retry never sends a part twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.channels import messaging
from backend.channels.telegram.api import split_message
from backend.channels.whatsapp.api import (
    ACCESS_TOKEN,
    LIST_ROW_LIMIT,
    TEXT_LIMIT,
    WhatsAppCloud,
    WhatsAppError,
)
from backend.channels.whatsapp.inbound import ANSWER_PREFIX
from backend.channels.whatsapp.service import cloud_for
from backend.delivery.senders import SendResult
from backend.lib.plaintext import plain_text
from backend.lib.platform import Platform
from common.enums import Channel, DeliveryStatus, IdentityKind
from common.models import Message, OutboxMessage

WINDOW = timedelta(hours=24)
PER_NUMBER_PER_SECOND = 80
PER_RECIPIENT_PER_SECOND = 1
TEMPLATE_PARAM_LIMIT = 1024


def answers(message: Message) -> list[tuple[str, str]]:
    """A check-in's answers as (id, title) for reply buttons or a list."""
    check_in = (message.meta or {}).get("check_in")
    options = check_in.get("options") if isinstance(check_in, dict) else None
    if not options or len(options) > LIST_ROW_LIMIT:
        return []
    return [(ANSWER_PREFIX + str(o), str(o)) for o in options]


class WhatsAppSender:
    async def send(self, platform: Platform, row: OutboxMessage, message: Message, live: int) -> SendResult:
        found = await messaging.recipient(
            platform, row, Channel.whatsapp, (IdentityKind.whatsapp_wa_id,), "WhatsApp number"
        )
        if isinstance(found, SendResult):
            return found
        conn, to, last_inbound = found.conn, found.address, found.last_inbound
        receipts = messaging.Receipts(platform, row.creator_id, row.id)
        in_window = not row.template_only and datetime.now(UTC) - last_inbound < WINDOW
        parts = (split_message(plain_text(message.content), TEXT_LIMIT) or ["…"]) if in_window else []
        names = [str(i) for i in range(len(parts))] if in_window else ["t"]  # "t": the template
        done = [await receipts.taken(n) for n in names]
        if all(done):
            return SendResult(DeliveryStatus.sent, provider_message_id=done[-1])
        number = str(conn.settings.get("phone_number_id"))
        limits = [(f"wa:{number}", PER_NUMBER_PER_SECOND), (f"wa:to:{to}", PER_RECIPIENT_PER_SECOND)]
        if wait := await messaging.within_rate(platform, row.creator_id, limits):
            return SendResult(
                DeliveryStatus.queued, error="waiting for WhatsApp's rate limit", retry_after=wait, attempt=False
            )
        cloud = cloud_for(platform, conn)
        key = row.idempotency_key
        try:
            if not in_window:
                return await self._template(cloud, conn, receipts, to, message, key)
            last = ""
            for i, part in enumerate(parts):
                if done[i] is not None:
                    last = str(done[i])
                    continue
                options = answers(message) if i == len(parts) - 1 else []
                try:
                    if options:
                        last = await cloud.send_choices(to, part, options, callback_data=key)
                    else:
                        last = await cloud.send_text(to, part, callback_data=key)
                except WhatsAppError as exc:
                    if exc.outside_window and i == 0:  # the window closed sooner than we knew: the template
                        return await self._template(cloud, conn, receipts, to, message, key)
                    raise
                await receipts.keep(str(i), last)
            return SendResult(DeliveryStatus.sent, provider_message_id=last)
        except WhatsAppError as exc:
            if exc.code in ACCESS_TOKEN:
                await messaging.note_error(platform, row.creator_id, Channel.whatsapp, "the access token was refused")
            retry = exc.rate_limited or exc.retryable
            return SendResult(DeliveryStatus.queued if retry else DeliveryStatus.failed, error=str(exc)[:500])

    @staticmethod
    async def _template(
        cloud: WhatsAppCloud,
        conn: messaging.Connection,
        receipts: messaging.Receipts,
        to: str,
        message: Message,
        key: str,
    ) -> SendResult:
        name, language = conn.settings.get("template_name"), conn.settings.get("template_language")
        if not name or not language:
            return SendResult(
                DeliveryStatus.failed,
                error="outside the 24-hour window and no template is configured for WhatsApp",
            )
        taken = await receipts.taken("t")
        if taken is None:
            param = plain_text(message.content)[:TEMPLATE_PARAM_LIMIT]
            taken = await cloud.send_template(to, str(name), str(language), [param], callback_data=key)
            await receipts.keep("t", taken)
        note = f"outside the 24-hour window: sent as the template {name!r}"
        return SendResult(DeliveryStatus.sent, provider_message_id=taken, error=note)
