"""Messaging channels' background work: each inbound webhook event handled once, off the webhook's path."""

from __future__ import annotations

import uuid
from typing import Any

from backend.channels.telegram import inbound as telegram
from backend.channels.whatsapp import inbound as whatsapp
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.enums import Channel
from common.models import ChannelEvent


async def handle_channel_event(ctx: dict[str, Any], *, creator_id: str, event_id: str, **_: Any) -> dict[str, str]:
    """A stored Telegram update or WhatsApp message: the member's turn, a link, an opt-out..."""
    platform: Platform = ctx["platform"]
    cid, eid = uuid.UUID(creator_id), uuid.UUID(event_id)
    async with platform.db.session(TenantContext(cid)) as db:
        row = await db.get(ChannelEvent, eid)
        channel = row.channel if row is not None else None
        await db.commit()
    if channel == Channel.telegram.value:
        return {"telegram": await telegram.handle(platform, cid, eid)}
    if channel == Channel.whatsapp.value:
        return {"whatsapp": await whatsapp.handle(platform, cid, eid)}
    return {"skipped": event_id}
