"""A workspace's WhatsApp number (Cloud API): connecting it, its status, and the webhook's door: the
subscription handshake (`hub.verify_token`), every POST's `X-Hub-Signature-256` checked on the raw body
before parsing, inbound messages stored once by their id and handled on the job queue, and `statuses[]`
moving the outbox forward (a late 131047 sends the message again as the creator's template)."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels import messaging
from backend.channels import service as web
from backend.channels.api_bases import api_base as allowed_api_base
from backend.channels.schemas import WhatsAppIn, WhatsAppOut
from backend.channels.whatsapp.api import DEFAULT_API_BASE, DEFAULT_API_VERSION, RE_ENGAGEMENT, WhatsAppCloud
from backend.channels.whatsapp.webhooks import (
    Delivery,
    PayloadError,
    decode,
    signature_valid,
    subscription_challenge,
)
from backend.delivery import outbox
from backend.lib.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from backend.lib.platform import Platform
from common.enums import Channel, DeliveryStatus
from common.models import MessagingChannel

SIGNATURE_HEADER = "x-hub-signature-256"
_STATUS = {
    Delivery.SENT: DeliveryStatus.sent,
    Delivery.DELIVERED: DeliveryStatus.delivered,
    Delivery.READ: DeliveryStatus.read,
    Delivery.FAILED: DeliveryStatus.failed,
}


def cloud_for(platform: Platform, conn: messaging.Connection) -> WhatsAppCloud:
    s = conn.settings
    return WhatsAppCloud(
        str(s["phone_number_id"]),
        conn.secrets["access_token"],
        api_base=str(s.get("api_base") or DEFAULT_API_BASE),
        api_version=str(s.get("api_version") or DEFAULT_API_VERSION),
        http=platform.services.http,
    )


def to_out(platform: Platform, row: MessagingChannel | None, public_key: str) -> WhatsAppOut:
    if row is None:
        return WhatsAppOut(connected=False)
    s = row.settings
    return WhatsAppOut(
        connected=True,
        phone_number_id=s.get("phone_number_id"),
        webhook_url=messaging.webhook_url(platform.settings, Channel.whatsapp, public_key),
        template_name=s.get("template_name"),
        template_language=s.get("template_language"),
        last_update_at=row.last_update_at,
        last_error=row.last_error,
    )


async def status(platform: Platform, db: AsyncSession, creator_id: uuid.UUID) -> WhatsAppOut:
    key = (await web.settings_of(db, creator_id)).public_key
    return to_out(platform, await messaging.row_of(db, Channel.whatsapp), key)


async def connect(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, data: WhatsAppIn) -> WhatsAppOut:
    """Store the number's settings and secrets (sealed); Meta's app then points its webhook at
    `webhook_url` with the same verify token."""
    if (data.template_name is None) != (data.template_language is None):
        raise InvalidInput("template_name and template_language go together")
    settings: dict[str, Any] = {
        "phone_number_id": data.phone_number_id,
        "api_base": allowed_api_base(platform.settings, data.api_base, DEFAULT_API_BASE),
        "api_version": data.api_version or DEFAULT_API_VERSION,
        "template_name": data.template_name,
        "template_language": data.template_language,
    }
    secrets = {"access_token": data.access_token, "app_secret": data.app_secret, "verify_token": data.verify_token}
    row = await messaging.save(platform, db, creator_id, Channel.whatsapp, settings, secrets)
    key = (await web.settings_of(db, creator_id)).public_key
    return to_out(platform, row, key)


async def disconnect(platform: Platform, db: AsyncSession, creator_id: uuid.UUID) -> None:
    if not await messaging.remove(platform, db, creator_id, Channel.whatsapp):
        raise NotFound("WhatsApp is not connected")


async def challenge(platform: Platform, db: AsyncSession, public_key: str, params: dict[str, str]) -> str:
    """The subscription handshake: `hub.challenge` back when mode and verify token match, else 403."""
    conn = await messaging.webhook_tenant(platform, db, public_key, Channel.whatsapp)
    answer = subscription_challenge(params, conn.secrets.get("verify_token", ""))
    if answer is None:
        raise Forbidden("hub.mode must be subscribe and hub.verify_token this workspace's verify token")
    return answer


async def accept(platform: Platform, db: AsyncSession, public_key: str, signature: str | None, raw: bytes) -> int:
    """A signed POST: the signature over the raw body first (401, nothing read or stored), then messages
    stored once (handled by a job) and statuses applied. Only this number's entries count. The number of
    messages and statuses taken."""
    conn = await messaging.webhook_tenant(platform, db, public_key, Channel.whatsapp)
    if not signature_valid(conn.secrets.get("app_secret", ""), raw, signature):
        raise NotAuthenticated("X-Hub-Signature-256 is missing or not signed with this workspace's app secret")
    try:
        batch = decode(raw)
    except PayloadError as exc:
        raise InvalidInput(f"not a WhatsApp webhook payload: {exc}") from exc
    number = str(conn.settings.get("phone_number_id"))
    taken = 0
    for m in batch.messages:
        if m.phone_number_id != number:
            continue  # another number's message (a misrouted webhook): never this workspace's
        payload = msgspec.to_builtins(m)
        await messaging.record_event(platform, db, conn.creator_id, Channel.whatsapp, m.id, payload)
        taken += 1
    for s in batch.statuses:
        if s.phone_number_id != number:
            continue
        taken += 1
        if s.status is Delivery.FAILED and s.error_code == RE_ENGAGEMENT:
            note = f"whatsapp {s.error_code}: {s.error_title} (outside the 24-hour window): sent again as the template"
            if await outbox.retry_as_template(db, Channel.whatsapp, s.message_id, note):
                continue
        error = f"whatsapp {s.error_code}: {s.error_title}" if s.error_code else None
        with contextlib.suppress(ValueError):
            await outbox.record_status(db, Channel.whatsapp, s.message_id, _STATUS[s.status], error)
    await messaging.touch(db, Channel.whatsapp)
    return taken
