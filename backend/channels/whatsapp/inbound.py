"""Handling one stored WhatsApp message (a job): the member behind the number (keyed by `wa_id`, and by the
business-scoped user id when WhatsApp sends one), and the twin's turn, answered on WhatsApp. A pressed answer
button is the member's answer to a check-in; "STOP" opts the number out (one confirmation, then nothing)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels import inbound, messaging
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.members import identities
from common.enums import Channel, IdentityKind
from common.models import Member

ANSWER_PREFIX = "a:"  # the id of an answer button: "a:" + the answer
STOP_WORDS = {"stop", "/stop", "unsubscribe"}
GOODBYE = "Done: I will not write to you here anymore. Write to me any time to come back."


async def _member(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, payload: dict[str, str]) -> Member:
    """The member of this WhatsApp user: by wa_id (their number) first, their BSUID linked to the same member."""
    wa_id, user_id = payload.get("wa_id") or "", payload.get("user_id") or ""
    if wa_id:
        member = await identities.for_channel(platform, db, creator_id, IdentityKind.whatsapp_wa_id, wa_id)
        if user_id:
            await identities.attach(platform, db, creator_id, IdentityKind.whatsapp_bsuid, user_id, member)
    else:
        member = await identities.for_channel(platform, db, creator_id, IdentityKind.whatsapp_bsuid, user_id)
    name = payload.get("name") or None
    await identities.seen(db, member, Channel.whatsapp, display_name=None if member.display_name else name)
    return member


async def _addresses(db: AsyncSession, payload: dict[str, str], opted_out: bool) -> None:
    for kind, key in ((IdentityKind.whatsapp_wa_id, "wa_id"), (IdentityKind.whatsapp_bsuid, "user_id")):
        if payload.get(key):
            await messaging.set_opt_out(db, kind, payload[key], opted_out)


async def handle(platform: Platform, creator_id: uuid.UUID, event_id: uuid.UUID) -> str:
    """Handle one stored message once; what it was (for the job's result)."""
    async with platform.db.session(TenantContext(creator_id)) as db:
        row = await inbound.pending_event(db, event_id)
        if row is None:
            await db.commit()
            return "done"
        payload = {k: str(v) for k, v in row.payload.items() if v is not None}
        text = payload.get("text", "").strip()
        if payload.get("answer_id", "").startswith(ANSWER_PREFIX):
            text = payload["answer_id"].removeprefix(ANSWER_PREFIX)
        member = await _member(platform, db, creator_id, payload)
        stop = text.lower() in STOP_WORDS
        await _addresses(db, payload, opted_out=stop)
        if stop:
            key = f"{inbound.PARTING}wa:{row.event_id}"
            await inbound.say(db, creator_id, member.id, Channel.whatsapp, GOODBYE, key)
        if stop or not text:
            row.processed_at = datetime.now(UTC)
        member_id, wamid = member.id, row.event_id
        await db.commit()
    if stop or not text:
        return "stop" if stop else "empty"
    await inbound.member_turn(platform, creator_id, member_id, text, f"wa:{wamid}", Channel.whatsapp)
    await inbound.handled(platform, creator_id, event_id)
    return "answer" if payload.get("answer_id") else "text"
